#pragma once
// Which examples go into which batch, per epoch. Deterministic for (seed, epoch) on every
// platform: std::shuffle and std::uniform_int_distribution are implementation-defined, so the
// permutation is a Fisher–Yates over splitmix64 with rejection sampling (a few lines, no library
// offers a portable one).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace vlq::data {

struct BatchOrderConfig {
  int64_t batch_size = 8;
  bool shuffle = false;
  uint64_t seed = 0;
  // Group similar lengths to cut padding: without shuffle the whole set is sorted by length;
  // with shuffle, windows of batch_size * kBucketWindowBatches shuffled examples are sorted and
  // the resulting batches are shuffled.
  bool bucket_by_length = false;
};

inline constexpr int64_t kBucketWindowBatches = 32;

// A permutation of 0..n-1, identical for identical (n, seed).
std::vector<size_t> deterministic_permutation(size_t n, uint64_t seed);

// Batches (lists of example indices) for `epoch`; `lengths[i]` is example i's token count.
// The last batch may be smaller. batch_size < 1 → vlq::Error.
std::vector<std::vector<size_t>> plan_batches(std::span<const int64_t> lengths,
                                              const BatchOrderConfig& config, uint64_t epoch);

}  // namespace vlq::data
