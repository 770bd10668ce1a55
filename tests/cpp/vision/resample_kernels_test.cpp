// The AVX2 resampling kernels vs the scalar ones (a line-by-line mirror of Pillow's loops, which
// the Pillow-oracle tests in bicubic_resize_test.cpp and tests/python/test_vision_processor.py
// pin down): byte-identical output on random images over up-, down- and extreme scalings. Each
// input sits at the very end of an exactly sized heap buffer so ASan flags any read past it.
#include "vlq/vision/resample_kernels.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "vlq/vision/bicubic_resize.hpp"

namespace vlq::vision {
namespace {

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<uint8_t> v(n);
  // Runs of 0 and 255 push sums past the clamp limits (negative lobes, overshoot).
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<uint8_t>(i % 97 < 10 ? ((i / 5) % 2) * 255 : byte(rng));
  return v;
}

struct Case {
  int in_size;
  int out_size;
  int other;  // the untouched dimension
};

const Case kCases[] = {
    {1, 1, 3},      {1, 7, 2},     {2, 1, 5},     {5, 3, 1},     {5, 8, 1},    {13, 17, 4},
    {640, 644, 3},  {480, 476, 5}, {427, 420, 2}, {414, 420, 3}, {640, 28, 2}, {3000, 100, 2},
    {100, 3000, 1}, {997, 3, 2},   {2048, 1, 1},  {33, 32, 9},   {64, 65, 31}, {31, 29, 33},
};

TEST(ResampleKernels, Avx2MatchesScalarVertical) {
  if (!kernels::cpu_has_avx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  for (const Case& c : kCases) {
    const ResampleTaps taps = bicubic_taps(c.in_size, c.out_size);
    const size_t row_bytes = static_cast<size_t>(c.other) * 3;
    const std::vector<uint8_t> src =
        random_bytes(row_bytes * c.in_size, c.in_size * 31 + c.out_size);
    std::vector<uint8_t> scalar(row_bytes * c.out_size), simd(row_bytes * c.out_size);
    kernels::vertical_scalar(src.data(), row_bytes, taps, 0, c.out_size, scalar.data());
    kernels::vertical_avx2(src.data(), row_bytes, taps, 0, c.out_size, simd.data());
    EXPECT_EQ(scalar, simd) << c.in_size << " -> " << c.out_size << " rows of " << c.other;
  }
}

TEST(ResampleKernels, Avx2MatchesScalarHorizontal) {
  if (!kernels::cpu_has_avx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  for (const Case& c : kCases) {
    const ResampleTaps taps = bicubic_taps(c.in_size, c.out_size);
    const std::vector<uint8_t> src =
        random_bytes(static_cast<size_t>(c.in_size) * c.other * 3, c.in_size * 17 + c.out_size);
    const size_t out_bytes = static_cast<size_t>(c.out_size) * c.other * 3;
    std::vector<uint8_t> scalar(out_bytes), simd(out_bytes);
    kernels::horizontal_scalar(src.data(), c.in_size, c.other, taps, c.out_size, scalar.data());
    kernels::horizontal_avx2(src.data(), c.in_size, c.other, taps, c.out_size, simd.data());
    EXPECT_EQ(scalar, simd) << c.in_size << " -> " << c.out_size << " x " << c.other << " rows";
  }
}

TEST(ResampleKernels, WeightPairsRecombineToTheWeights) {
  for (const Case& c : kCases) {
    const ResampleTaps taps = bicubic_taps(c.in_size, c.out_size);
    EXPECT_TRUE(taps.hi_fits_int8) << c.in_size << " -> " << c.out_size;
    for (int o = 0; o < c.out_size; ++o) {
      ASSERT_LE(taps.count[o], 2 * taps.pair_slots);
      for (int t = 0; t < 2 * taps.pair_slots; ++t) {
        const int32_t* pair =
            &taps.pairs[(static_cast<size_t>(o) * taps.pair_slots + t / 2) * kPairInts];
        for (int i = 1; i < 4; ++i) {  // stored broadcast
          ASSERT_EQ(pair[i], pair[0]);
          ASSERT_EQ(pair[4 + i], pair[4]);
        }
        const int shift = (t % 2) * 16;
        const auto hi = static_cast<int16_t>(static_cast<uint32_t>(pair[0]) >> shift);
        const auto lo = static_cast<int16_t>(static_cast<uint32_t>(pair[4]) >> shift);
        const int32_t weight =
            t < taps.ksize ? taps.weights[static_cast<size_t>(o) * taps.ksize + t] : 0;
        ASSERT_EQ(hi * 65536 + lo, weight);
      }
    }
  }
}

}  // namespace
}  // namespace vlq::vision
