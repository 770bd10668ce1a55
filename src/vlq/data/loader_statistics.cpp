#include "vlq/data/loader_statistics.hpp"

#include <algorithm>
#include <vector>

namespace vlq::data {

LoaderStatistics compute_statistics(const Loader& loader) {
  LoaderStatistics stats;
  stats.samples = static_cast<int64_t>(loader.size());
  std::vector<int64_t> lengths;
  lengths.reserve(loader.size());
  for (const Example& example : loader.examples()) {
    lengths.push_back(example.length());
    stats.real_tokens += example.length();
    stats.truncated += example.truncated() ? 1 : 0;
    stats.label_tokens += example.label_count();
    stats.images += example.has_image ? 1 : 0;
  }
  if (!lengths.empty()) {
    std::sort(lengths.begin(), lengths.end());
    const size_t n = lengths.size();
    stats.min_length = lengths.front();
    stats.max_length = lengths.back();
    stats.median_length = lengths[(n - 1) / 2];
    const size_t rank = (95 * n + 99) / 100;  // ceil(0.95 n), 1-based
    stats.p95_length = lengths[std::max<size_t>(rank, 1) - 1];
  }
  const auto examples = loader.examples();
  for (const auto& rows : loader.batch_plan(0)) {
    int64_t longest = 0;
    for (size_t row : rows) longest = std::max(longest, examples[row].length());
    stats.padded_cells += longest * static_cast<int64_t>(rows.size());
    ++stats.batches;
  }
  if (stats.padded_cells > 0) {
    stats.padding_fraction =
        1.0 - static_cast<double>(stats.real_tokens) / static_cast<double>(stats.padded_cells);
  }
  return stats;
}

}  // namespace vlq::data
