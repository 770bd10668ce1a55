#include "vlq/data/batch_order.hpp"

#include <algorithm>
#include <numeric>

#include "vlq/core/error.hpp"

namespace vlq::data {

namespace {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound) without modulo bias.
  uint64_t below(uint64_t bound) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t value = next();
    while (value >= limit) value = next();
    return value % bound;
  }

 private:
  uint64_t state_;
};

template <typename T>
void shuffle_in_place(std::vector<T>& items, SplitMix64& rng) {
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng.below(i)]);
}

std::vector<std::vector<size_t>> cut(std::span<const size_t> order, size_t batch_size) {
  std::vector<std::vector<size_t>> batches;
  for (size_t start = 0; start < order.size(); start += batch_size) {
    const size_t end = std::min(order.size(), start + batch_size);
    batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(start),
                         order.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return batches;
}

}  // namespace

std::vector<size_t> deterministic_permutation(size_t n, uint64_t seed) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  SplitMix64 rng(seed);
  shuffle_in_place(order, rng);
  return order;
}

std::vector<std::vector<size_t>> plan_batches(std::span<const int64_t> lengths,
                                              const BatchOrderConfig& config, uint64_t epoch) {
  if (config.batch_size < 1) fail("batch_size must be at least 1, got " + std::to_string(config.batch_size));
  const size_t batch_size = static_cast<size_t>(config.batch_size);
  std::vector<size_t> order(lengths.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Epoch e reshuffles from an independent stream derived from (seed, e).
  SplitMix64 rng(config.seed ^ (0xD1B54A32D192ED03ULL * (epoch + 1)));
  if (config.shuffle) shuffle_in_place(order, rng);
  if (!config.bucket_by_length) return cut(order, batch_size);

  auto by_length = [&](size_t a, size_t b) { return lengths[a] < lengths[b]; };
  if (!config.shuffle) {
    std::stable_sort(order.begin(), order.end(), by_length);
    return cut(order, batch_size);
  }
  const size_t window = batch_size * static_cast<size_t>(kBucketWindowBatches);
  for (size_t start = 0; start < order.size(); start += window) {
    auto end = order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), start + window));
    std::stable_sort(order.begin() + static_cast<std::ptrdiff_t>(start), end, by_length);
  }
  auto batches = cut(order, batch_size);
  shuffle_in_place(batches, rng);
  return batches;
}

}  // namespace vlq::data
