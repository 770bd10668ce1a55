#pragma once
// The two separable passes of Pillow's uint8 resampler (libImaging/Resample.c,
// ImagingResample{Horizontal,Vertical}_8bpc) over interleaved RGB rows, given precomputed
// fixed-point taps. Each pass exists as a portable scalar kernel (a line-by-line mirror of
// Pillow's loops) and an AVX2 kernel chosen at run time; both compute the same int32 sums, so
// their output is identical byte for byte (tests/cpp/vision/resample_kernels_test.cpp).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vlq::vision {

// Pillow's PRECISION_BITS = 32 - 8 - 2: headroom for 8-bit samples times weights that can exceed
// 1 (negative lobes) without overflowing int32.
inline constexpr int kResamplePrecisionBits = 32 - 8 - 2;

// int32 values per tap pair in ResampleTaps::pairs.
inline constexpr size_t kPairInts = 8;

// For one axis: per output index, the first contributing input index, the number of taps, and
// ksize fixed-point weights (unused slots zero). `pairs` is the same weights split for the SIMD
// kernels (see pack_weight_pairs); fill it with pack_weight_pairs once the weights are set.
struct ResampleTaps {
  int ksize = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;
  int pair_slots = 0;  // ⌈max(count) / 2⌉
  // Per output index, per tap pair: the hi pair 4 times, then the lo pair 4 times (stored
  // broadcast so the horizontal kernel multiplies straight from memory).
  std::vector<int32_t> pairs;
  bool hi_fits_int8 = true;  // the vertical kernel's pmaddubsw condition (see below)
};

// The SIMD kernels multiply with 16-bit pmaddwd / 8-bit pmaddubsw, which are exact and on older
// cores (Zen 1) several times faster than 32-bit pmulld. A 22-bit weight k is split into
// k = hi·2^16 + lo with lo its low 16 bits read as int16 and hi = (k - lo) / 2^16 (|hi| ≈ 64·|w|
// for a weight w, so for bicubic weights hi also fits int8 with pair sums 255·(|hi| + |hi'|) <
// 2^15, checked into hi_fits_int8); taps (2p, 2p+1) are packed as two int16 per int32 so one
// multiply-add covers both taps. The sums recombine as (Σhi << 16) + Σlo, equal to Pillow's
// int32 sum: wrap-around in either partial sum (Σhi even in int16) cancels modulo 2^32, and
// Pillow's total itself fits in int32.
void pack_weight_pairs(ResampleTaps& taps);

// Vertical pass: output row yy (row_bytes bytes) = Σ_y weights[yy][y] · input row
// (first[yy] - row_offset + y). `src` holds the input rows from row_offset on.
void resample_vertical(const uint8_t* src, size_t row_bytes, const ResampleTaps& taps,
                       int row_offset, int out_rows, uint8_t* dst);

// Horizontal pass over `rows` RGB rows of src_width pixels into rows of out_width pixels.
void resample_horizontal(const uint8_t* src, int src_width, int rows, const ResampleTaps& taps,
                         int out_width, uint8_t* dst);

namespace kernels {
// The two implementations, exposed so the tests can compare them on the same inputs.
void vertical_scalar(const uint8_t* src, size_t row_bytes, const ResampleTaps& taps, int row_offset,
                     int out_rows, uint8_t* dst);
void horizontal_scalar(const uint8_t* src, int src_width, int rows, const ResampleTaps& taps,
                       int out_width, uint8_t* dst);
void vertical_avx2(const uint8_t* src, size_t row_bytes, const ResampleTaps& taps, int row_offset,
                   int out_rows, uint8_t* dst);
void horizontal_avx2(const uint8_t* src, int src_width, int rows, const ResampleTaps& taps,
                     int out_width, uint8_t* dst);
// True when this CPU runs the AVX2 kernels (checked once).
bool cpu_has_avx2();
}  // namespace kernels

}  // namespace vlq::vision
