#pragma once
// What `vlq data` / `vlq demo` print for a loader: sizes, token length distribution, padding
// cost of the epoch-0 batch plan, truncation and label counts.
#include <cstdint>
#include <string>

#include "vlq/data/loader.hpp"

namespace vlq::data {

struct LoaderStatistics {
  int64_t samples = 0;
  int64_t batches = 0;
  int64_t min_length = 0;
  int64_t median_length = 0;  // lower median
  int64_t p95_length = 0;     // nearest-rank 95th percentile
  int64_t max_length = 0;
  int64_t real_tokens = 0;
  int64_t padded_cells = 0;       // sum over batches of B*L for the epoch-0 plan
  double padding_fraction = 0.0;  // 1 - real_tokens / padded_cells
  int64_t truncated = 0;
  int64_t label_tokens = 0;
  int64_t images = 0;
};

LoaderStatistics compute_statistics(const Loader& loader);

}  // namespace vlq::data
