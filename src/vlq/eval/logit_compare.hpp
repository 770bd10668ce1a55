#pragma once
// Baseline-vs-candidate logit comparison for quantization: mean KL(baseline ‖ candidate) per
// row and top-1 agreement, over the rows a mask selects (real tokens). Computed with stable
// log-softmax in double.
#include <cstdint>
#include <span>

namespace vlq::eval {

struct LogitComparison {
  double mean_kl = 0.0;          // mean over rows of KL(softmax(base) ‖ softmax(cand)), nats
  double top1_agreement = 0.0;   // fraction of rows whose argmax agrees
  double max_abs_diff = 0.0;     // max |base − cand| over compared rows
  int64_t rows = 0;
};

// base, cand: [rows, vocab]; row_mask: [rows] (nonzero = compare) or empty (all rows).
LogitComparison compare_logits(std::span<const float> base, std::span<const float> cand,
                               int64_t rows, int64_t vocab, std::span<const int64_t> row_mask = {});

}  // namespace vlq::eval
