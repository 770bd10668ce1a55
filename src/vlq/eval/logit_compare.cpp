#include "vlq/eval/logit_compare.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "vlq/core/error.hpp"

namespace vlq::eval {

namespace {
// log Σ exp(z) with the max subtracted.
double log_sum_exp(const float* z, int64_t n) {
  double max = z[0];
  for (int64_t j = 1; j < n; ++j) max = std::max(max, double(z[j]));
  double sum = 0.0;
  for (int64_t j = 0; j < n; ++j) sum += std::exp(double(z[j]) - max);
  return max + std::log(sum);
}
}  // namespace

LogitComparison compare_logits(std::span<const float> base, std::span<const float> cand,
                               int64_t rows, int64_t vocab, std::span<const int64_t> row_mask) {
  const size_t n = static_cast<size_t>(rows * vocab);
  if (vocab <= 0 || base.size() != n || cand.size() != n)
    fail("compare_logits: expected two [" + std::to_string(rows) + ", " + std::to_string(vocab) +
         "] arrays, got " + std::to_string(base.size()) + " and " + std::to_string(cand.size()) + " values");
  if (!row_mask.empty() && row_mask.size() != static_cast<size_t>(rows))
    fail("compare_logits: row mask has " + std::to_string(row_mask.size()) + " entries for " +
         std::to_string(rows) + " rows");
  LogitComparison c;
  double kl_sum = 0.0;
  int64_t agree = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (!row_mask.empty() && row_mask[size_t(r)] == 0) continue;
    const float* p = base.data() + r * vocab;
    const float* q = cand.data() + r * vocab;
    const double lse_p = log_sum_exp(p, vocab), lse_q = log_sum_exp(q, vocab);
    double kl = 0.0;
    for (int64_t j = 0; j < vocab; ++j) {
      const double lp = double(p[j]) - lse_p, lq = double(q[j]) - lse_q;
      kl += std::exp(lp) * (lp - lq);
      c.max_abs_diff = std::max(c.max_abs_diff, double(std::abs(p[j] - q[j])));
    }
    kl_sum += kl;
    agree += std::max_element(p, p + vocab) - p == std::max_element(q, q + vocab) - q;
    ++c.rows;
  }
  if (c.rows > 0) {
    c.mean_kl = kl_sum / double(c.rows);
    c.top1_agreement = double(agree) / double(c.rows);
  }
  return c;
}

}  // namespace vlq::eval
