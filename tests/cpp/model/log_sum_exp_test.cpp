// The vectorised float exp and log-sum-exp against double-precision std::exp.
#include "vlq/model/log_sum_exp.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace vlq::model {
namespace {

// Every float in [-87, 0] at a fine stride: relative error within 3 float ulps (~3.6e-7) of
// the correctly rounded value (Cephes' bound is ~2 ulp).
TEST(ExpNonpositive, WithinThreeUlpsOverTheWholeRange) {
  double worst = 0.0;
  for (float x = -87.0f; x <= 0.0f; x += 0.000731f) {
    const double exact = std::exp(double(x));
    worst = std::max(worst, std::abs(double(exp_nonpositive(x)) - exact) / exact);
  }
  EXPECT_LT(worst, 3.6e-7);
  EXPECT_EQ(exp_nonpositive(0.0f), 1.0f);
  EXPECT_GE(exp_nonpositive(-200.0f), 0.0f);  // clamped, never NaN or negative
  EXPECT_LT(exp_nonpositive(-200.0f), 1e-37f);
}

// Rows shaped like logits (the 151,936 vocabulary, a peak, odd tails): the log-sum-exp within
// 1e-6 absolute of a double computation, which is far inside the 1e-6 relative loss tolerance.
TEST(LogSumExp, MatchesDoublePrecisionOnLogitRows) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (size_t n : {size_t{1}, size_t{15}, size_t{17}, size_t{1025}, size_t{151936}}) {
    std::vector<float> row(n);
    for (float& v : row) v = normal(rng);
    row[n / 2] = 40.0f;  // a confident token
    double max = row[0];
    for (float v : row) max = std::max(max, double(v));
    double sum = 0.0;
    for (float v : row) sum += std::exp(double(v) - max);
    EXPECT_NEAR(log_sum_exp(row), max + std::log(sum), 1e-6) << n;
  }
}

}  // namespace
}  // namespace vlq::model
