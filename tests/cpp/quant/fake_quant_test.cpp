// Hand-checked cases for the fake-quant primitives. The bulk comparison against PyTorch's own
// kernels is tests/python/test_quant_numerics.py; these pin the edge cases in C++ (and run under
// ASan/UBSan).
#include "vlq/quant/fake_quant.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "vlq/core/error.hpp"
#include "vlq/quant/qparams.hpp"

namespace vlq::quant {
namespace {

TEST(FakeQuant, TiesRoundHalfToEven) {
  // scale 1: x*inv is exactly k + 0.5 → nearest even integer.
  std::vector<float> x{0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f};
  fake_quantize_per_tensor(x, 1.0f, 0, -128, 127);
  EXPECT_EQ(x, (std::vector<float>{0.0f, 2.0f, 2.0f, -0.0f, -2.0f, -2.0f}));
}

TEST(FakeQuant, SaturatesAndHandlesHugeValuesWithoutUB) {
  std::vector<float> x{1000.0f, -1000.0f, 3e38f, -3e38f, std::numeric_limits<float>::infinity()};
  fake_quantize_per_tensor(x, 0.5f, 10, 0, 255);
  // q range [0, 255], zp 10 → values in [-5, 122.5].
  EXPECT_FLOAT_EQ(x[0], 122.5f);
  EXPECT_FLOAT_EQ(x[1], -5.0f);
  EXPECT_FLOAT_EQ(x[2], 122.5f);
  EXPECT_FLOAT_EQ(x[3], -5.0f);
  EXPECT_FLOAT_EQ(x[4], 122.5f);
}

TEST(FakeQuant, NegativeZeroBecomesPositiveZeroLikeATen) {
  std::vector<float> x{-0.0f};
  fake_quantize_per_tensor(x, 0.1f, 0, -128, 127);
  EXPECT_FALSE(std::signbit(x[0]));
}

TEST(FakeQuant, PerGroupHandlesShortLastGroup) {
  // 1 row, 5 columns, groups of 2 → 3 groups, the last of one column.
  std::vector<float> x{0.26f, 0.74f, 1.0f, 2.0f, 7.0f};
  std::vector<float> scales{0.5f, 1.0f, 2.0f};
  std::vector<int64_t> zps{0, 0, 0};
  fake_quantize_per_group(x, 1, 5, 2, scales, zps, 0, 15);
  EXPECT_EQ(x, (std::vector<float>{0.5f, 0.5f, 1.0f, 2.0f, 8.0f}));
}

TEST(FakeQuant, RejectsMismatchedShapes) {
  std::vector<float> x(6);
  std::vector<float> scales(2);
  std::vector<int64_t> zps(2);
  EXPECT_THROW(fake_quantize_per_channel(x, 3, 2, scales, zps, -128, 127), Error);
  EXPECT_THROW(fake_quantize_per_group(x, 2, 3, 0, scales, zps, -128, 127), Error);
}

TEST(Fp8, RepresentableValuesAndRounding) {
  EXPECT_EQ(round_to_fp8_e4m3(448.0f), 448.0f);
  EXPECT_EQ(round_to_fp8_e4m3(1000.0f), 448.0f);   // saturate
  EXPECT_EQ(round_to_fp8_e4m3(-1e30f), -448.0f);
  EXPECT_EQ(round_to_fp8_e4m3(1.0625f), 1.0f);     // tie between 1 and 1.125 → even mantissa (1)
  EXPECT_EQ(round_to_fp8_e4m3(1.1875f), 1.25f);    // tie between 1.125 and 1.25 → even (1.25)
  EXPECT_EQ(round_to_fp8_e4m3(std::ldexp(1.0f, -9)), std::ldexp(1.0f, -9));  // min subnormal
  EXPECT_EQ(round_to_fp8_e4m3(std::ldexp(1.0f, -10)), 0.0f);  // half the min subnormal: tie → 0
  EXPECT_EQ(round_to_fp8_e4m3(std::ldexp(1.5f, -10)), std::ldexp(1.0f, -9));
  EXPECT_EQ(round_to_fp8_e4m3(15.5f), 16.0f);      // carries into the next binade
  EXPECT_TRUE(std::signbit(round_to_fp8_e4m3(-1e-30f)));
}

TEST(QParams, SymmetricAndAffineLikeTorchObservers) {
  QParams s = qparams_from_minmax(-2.0f, 1.0f, {-128, 127}, true);
  EXPECT_FLOAT_EQ(s.scale, 2.0f / 127.5f);
  EXPECT_EQ(s.zero_point, 0);
  QParams a = qparams_from_minmax(0.5f, 2.0f, {0, 255}, false);  // range widened to include 0
  EXPECT_FLOAT_EQ(a.scale, 2.0f / 255.0f);
  EXPECT_EQ(a.zero_point, 0);
  QParams z = qparams_from_minmax(0.0f, 0.0f, {0, 255}, false);
  EXPECT_EQ(z.scale, kObserverEps);
  EXPECT_EQ(z.zero_point, 0);
  EXPECT_THROW(qparams_from_minmax(-1.0f, 1.0f, {0, 255}, true), Error);
}

}  // namespace
}  // namespace vlq::quant
