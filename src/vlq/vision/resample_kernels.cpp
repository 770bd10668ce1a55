#include "vlq/vision/resample_kernels.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

namespace vlq::vision {
namespace {

constexpr int32_t kHalf = 1 << (kResamplePrecisionBits - 1);

// Pillow's clip8: arithmetic shift, then clamp to [0, 255].
inline uint8_t clip8(int32_t accumulator) {
  const int32_t v = accumulator >> kResamplePrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// One output pixel of the horizontal pass (Pillow's inner loop for one xx).
inline void horizontal_pixel_scalar(const uint8_t* row, const ResampleTaps& taps, int xx,
                                    uint8_t* out) {
  const int32_t* k = &taps.weights[static_cast<size_t>(xx) * taps.ksize];
  const uint8_t* in = row + static_cast<size_t>(taps.first[xx]) * 3;
  int32_t s0 = kHalf, s1 = kHalf, s2 = kHalf;
  for (int x = 0; x < taps.count[xx]; ++x, in += 3) {
    s0 += in[0] * k[x];
    s1 += in[1] * k[x];
    s2 += in[2] * k[x];
  }
  out[0] = clip8(s0);
  out[1] = clip8(s1);
  out[2] = clip8(s2);
}

// (hi << 16) + lo + ½, shifted down: hi_in_upper holds an int16 hi sum in the upper half of
// each int32 lane, which is hi << 16 modulo 2^32.
__attribute__((target("avx2"))) inline __m256i shifted_sum(__m256i hi_in_upper, __m256i lo) {
  return _mm256_srai_epi32(
      _mm256_add_epi32(_mm256_add_epi32(hi_in_upper, lo), _mm256_set1_epi32(kHalf)),
      kResamplePrecisionBits);
}

__attribute__((target("avx2"))) inline __m128i load4(const int32_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// One output pixel of the horizontal pass in SIMD: `pairs` steps of two taps each. 8 bytes
// loaded at tap 2p's pixel are shuffled into int16 pairs (R, R'), (G, G'), (B, B'), (0, 0) and
// multiplied by the packed weight halves. Every pixel runs all pair_slots steps (weights past
// its count are zero): a per-pixel tap count would make the loop exit unpredictable, and the
// mispredictions cost more than the extra multiplies.
template <int kPairs>
__attribute__((target("avx2"))) inline __m128i horizontal_pixel_avx2(const uint8_t* in,
                                                                     const int32_t* pairs,
                                                                     int runtime_pairs) {
  const __m128i spread = _mm_setr_epi8(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1);
  const int steps = kPairs > 0 ? kPairs : runtime_pairs;
  __m128i hi = _mm_setzero_si128(), lo = hi;
  for (int p = 0; p < steps; ++p, in += 6, pairs += kPairInts) {
    const __m128i v =
        _mm_shuffle_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(in)), spread);
    hi = _mm_add_epi32(hi, _mm_madd_epi16(v, load4(pairs)));
    lo = _mm_add_epi32(lo, _mm_madd_epi16(v, load4(pairs + 4)));
  }
  const __m128i sum =
      _mm_add_epi32(_mm_add_epi32(_mm_slli_epi32(hi, 16), lo), _mm_set1_epi32(kHalf));
  const __m128i s = _mm_srai_epi32(sum, kResamplePrecisionBits);
  return _mm_packus_epi16(_mm_packs_epi32(s, s), s);  // bytes R, G, B, junk
}

template <int kPairs>
__attribute__((target("avx2"))) void horizontal_rows_avx2(const uint8_t* src, int src_width,
                                                          int rows, const ResampleTaps& taps,
                                                          int out_width, uint8_t* dst) {
  // Locals, not taps.*: the uint8_t stores below may alias anything, which would make the
  // compiler reload the vectors' data pointers for every pixel.
  const int* first = taps.first.data();
  const int32_t* pairs = taps.pairs.data();
  const int slots = taps.pair_slots;
  // Pixel xx reads its row's bytes [3·first, 3·first + 6·slots + 2). Past the row's end that is
  // the following rows (whose weights are zero); rows near the end of the buffer check each
  // pixel and take the scalar loop where the read would leave it.
  const size_t row_bytes = static_cast<size_t>(src_width) * 3;
  const auto read_end = [&](int xx) { return size_t{3} * first[xx] + size_t{6} * slots + 2; };
  size_t max_read_end = 0;
  for (int xx = 0; xx < out_width; ++xx) max_read_end = std::max(max_read_end, read_end(xx));
  const size_t out_row_bytes = static_cast<size_t>(out_width) * 3;
  for (int r = 0; r < rows; ++r) {
    const uint8_t* row = src + static_cast<size_t>(r) * row_bytes;
    uint8_t* out = dst + static_cast<size_t>(r) * out_row_bytes;
    const size_t remaining = static_cast<size_t>(rows - r) * row_bytes;
    int xx = 0;
    if (max_read_end <= remaining) {
      // Four bytes are stored per pixel: the fourth is the next pixel's first byte, which that
      // pixel then overwrites; the row's last pixel stores exactly three.
      for (; xx + 1 < out_width; ++xx, out += 3)
        _mm_storeu_si32(out, horizontal_pixel_avx2<kPairs>(row + size_t{3} * first[xx],
                                                           pairs + kPairInts * slots * xx, slots));
    }
    for (; xx < out_width; ++xx, out += 3) {
      if (read_end(xx) <= remaining) {
        const int32_t packed = _mm_cvtsi128_si32(horizontal_pixel_avx2<kPairs>(
            row + size_t{3} * first[xx], pairs + kPairInts * slots * xx, slots));
        std::memcpy(out, &packed, 3);
      } else {
        horizontal_pixel_scalar(row, taps, xx, out);
      }
    }
  }
}

// Accumulators of vertical_avx2 for 32 columns: int16 hi sums for the interleaved halves P
// (columns 0-7 | 16-23) and Q (8-15 | 24-31), int32 lo sums for their quarters.
struct VerticalSums {
  __m256i hp, hq, lp0, lp1, lq0, lq1;
};

// Adds taps (2p, 2p+1) over 32 columns: rows a and b, weights wh (int8 pairs) and wl (int16
// pairs) as broadcast int32.
__attribute__((target("avx2"))) inline void vertical_step(VerticalSums& s, __m256i a, __m256i b,
                                                          int32_t wh, int32_t wl) {
  const __m256i zero = _mm256_setzero_si256();
  const __m256i h = _mm256_set1_epi32(wh);
  const __m256i l = _mm256_set1_epi32(wl);
  const __m256i p = _mm256_unpacklo_epi8(a, b);
  const __m256i q = _mm256_unpackhi_epi8(a, b);
  s.hp = _mm256_add_epi16(s.hp, _mm256_maddubs_epi16(p, h));
  s.hq = _mm256_add_epi16(s.hq, _mm256_maddubs_epi16(q, h));
  s.lp0 = _mm256_add_epi32(s.lp0, _mm256_madd_epi16(_mm256_unpacklo_epi8(p, zero), l));
  s.lp1 = _mm256_add_epi32(s.lp1, _mm256_madd_epi16(_mm256_unpackhi_epi8(p, zero), l));
  s.lq0 = _mm256_add_epi32(s.lq0, _mm256_madd_epi16(_mm256_unpacklo_epi8(q, zero), l));
  s.lq1 = _mm256_add_epi32(s.lq1, _mm256_madd_epi16(_mm256_unpackhi_epi8(q, zero), l));
}

}  // namespace

namespace kernels {

bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

void vertical_scalar(const uint8_t* src, size_t row_bytes, const ResampleTaps& taps, int row_offset,
                     int out_rows, uint8_t* dst) {
  for (int yy = 0; yy < out_rows; ++yy) {
    const int32_t* k = &taps.weights[static_cast<size_t>(yy) * taps.ksize];
    const uint8_t* first = src + static_cast<size_t>(taps.first[yy] - row_offset) * row_bytes;
    uint8_t* out = dst + static_cast<size_t>(yy) * row_bytes;
    for (size_t i = 0; i < row_bytes; ++i) {
      int32_t acc = kHalf;
      for (int y = 0; y < taps.count[yy]; ++y)
        acc += first[static_cast<size_t>(y) * row_bytes + i] * k[y];
      out[i] = clip8(acc);
    }
  }
}

void horizontal_scalar(const uint8_t* src, int src_width, int rows, const ResampleTaps& taps,
                       int out_width, uint8_t* dst) {
  for (int r = 0; r < rows; ++r) {
    const uint8_t* row = src + static_cast<size_t>(r) * src_width * 3;
    uint8_t* out = dst + static_cast<size_t>(r) * out_width * 3;
    for (int xx = 0; xx < out_width; ++xx) horizontal_pixel_scalar(row, taps, xx, out + xx * 3);
  }
}

// 32 bytes of a row at a time, two taps per step. The two input rows' bytes are interleaved
// (a0 b0 a1 b1 …); the hi halves of the weights multiply them directly as int8 (pmaddubsw,
// 16-bit sums that may wrap harmlessly), the lo halves after widening to int16 (pmaddwd, int32
// sums). Six accumulators stay in registers over all taps; a scalar loop does the row's tail.
// Lane bookkeeping: unpacklo/hi work per 128-bit lane, so P covers columns 0-7 | 16-23 and Q
// 8-15 | 24-31, and their int32 quarters 0-3 | 16-19, 4-7 | 20-23, …; the final packs put the
// columns back in order.
__attribute__((target("avx2"))) void vertical_avx2(const uint8_t* src, size_t row_bytes,
                                                   const ResampleTaps& taps, int row_offset,
                                                   int out_rows, uint8_t* dst) {
  if (!taps.hi_fits_int8) {
    vertical_scalar(src, row_bytes, taps, row_offset, out_rows, dst);
    return;
  }
  const __m256i zero = _mm256_setzero_si256();
  // The row's weights as broadcastable int32, built once per output row rather than once per
  // 32 bytes: wh = the pair's hi halves as two int8 (twice), wl = its lo halves as two int16.
  std::vector<int32_t> wh(static_cast<size_t>(taps.pair_slots));
  std::vector<int32_t> wl(static_cast<size_t>(taps.pair_slots));
  for (int yy = 0; yy < out_rows; ++yy) {
    const int32_t* k = &taps.weights[static_cast<size_t>(yy) * taps.ksize];
    const int32_t* pairs = &taps.pairs[static_cast<size_t>(yy) * taps.pair_slots * kPairInts];
    const uint8_t* first = src + static_cast<size_t>(taps.first[yy] - row_offset) * row_bytes;
    const int count = taps.count[yy];
    const int full_pairs = count / 2;
    for (int p = 0; p < (count + 1) / 2; ++p) {
      const auto hi_pair = static_cast<uint32_t>(pairs[p * kPairInts]);
      const uint32_t bytes = (hi_pair & 0xFFu) | ((hi_pair >> 8) & 0xFF00u);
      wh[p] = static_cast<int32_t>(bytes | (bytes << 16));
      wl[p] = pairs[p * kPairInts + 4];
    }
    uint8_t* out = dst + static_cast<size_t>(yy) * row_bytes;
    size_t i = 0;
    for (; i + 32 <= row_bytes; i += 32) {
      VerticalSums sums{zero, zero, zero, zero, zero, zero};
      const uint8_t* in = first + i;
      int p = 0;
      for (; p < full_pairs; ++p, in += 2 * row_bytes) {
        vertical_step(sums, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in)),
                      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + row_bytes)), wh[p],
                      wl[p]);
      }
      // An odd last tap pairs with zeros: its partner weight is zero, and the row after it may
      // be past the buffer.
      if (p * 2 < count) {
        vertical_step(sums, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in)), zero, wh[p],
                      wl[p]);
      }
      const auto& [hp, hq, lp0, lp1, lq0, lq1] = sums;
      const __m256i p16 = _mm256_packs_epi32(shifted_sum(_mm256_unpacklo_epi16(zero, hp), lp0),
                                             shifted_sum(_mm256_unpackhi_epi16(zero, hp), lp1));
      const __m256i q16 = _mm256_packs_epi32(shifted_sum(_mm256_unpacklo_epi16(zero, hq), lq0),
                                             shifted_sum(_mm256_unpackhi_epi16(zero, hq), lq1));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm256_packus_epi16(p16, q16));
    }
    for (; i < row_bytes; ++i) {
      int32_t acc = kHalf;
      for (int y = 0; y < count; ++y) acc += first[static_cast<size_t>(y) * row_bytes + i] * k[y];
      out[i] = clip8(acc);
    }
  }
}

// Mild scalings (the usual case for smart_resize) have 2 to 4 pair slots; those get a fully
// unrolled step loop.
__attribute__((target("avx2"))) void horizontal_avx2(const uint8_t* src, int src_width, int rows,
                                                     const ResampleTaps& taps, int out_width,
                                                     uint8_t* dst) {
  switch (taps.pair_slots) {
    case 2:
      horizontal_rows_avx2<2>(src, src_width, rows, taps, out_width, dst);
      break;
    case 3:
      horizontal_rows_avx2<3>(src, src_width, rows, taps, out_width, dst);
      break;
    case 4:
      horizontal_rows_avx2<4>(src, src_width, rows, taps, out_width, dst);
      break;
    default:
      horizontal_rows_avx2<0>(src, src_width, rows, taps, out_width, dst);
      break;
  }
}

}  // namespace kernels

void pack_weight_pairs(ResampleTaps& taps) {
  // Enough pairs for the largest tap count, which can be below ksize (an upscale by a bicubic
  // kernel of support 2 has 4 taps everywhere but ksize 5): the SIMD kernels run every slot.
  int max_count = 0;
  for (int c : taps.count) max_count = std::max(max_count, c);
  taps.pair_slots = (max_count + 1) / 2;
  const size_t outputs = taps.first.size();
  taps.pairs.assign(outputs * taps.pair_slots * kPairInts, 0);
  taps.hi_fits_int8 = true;
  for (size_t o = 0; o < outputs; ++o) {
    const int32_t* k = &taps.weights[o * taps.ksize];
    int32_t* pair = &taps.pairs[o * taps.pair_slots * kPairInts];
    for (int p = 0; p < taps.pair_slots; ++p, pair += kPairInts) {
      const int32_t k0 = k[2 * p];
      const int32_t k1 = 2 * p + 1 < taps.ksize ? k[2 * p + 1] : 0;
      // lo = the low 16 bits as int16, hi = (k - lo) / 2^16; two int16 per int32, tap 2p in the
      // low half.
      const auto split = [](int32_t k_) {
        const auto lo = static_cast<int16_t>(static_cast<uint32_t>(k_) & 0xFFFFu);
        return std::pair<int32_t, int32_t>((k_ - lo) >> 16, lo);
      };
      const auto pack = [](int32_t a, int32_t b) {
        return static_cast<int32_t>((static_cast<uint32_t>(a) & 0xFFFFu) |
                                    (static_cast<uint32_t>(b) << 16));
      };
      const auto [h0, l0] = split(k0);
      const auto [h1, l1] = split(k1);
      // pmaddubsw: each hi must be an int8 and a pair's sum 255·(|hi0| + |hi1|) must not
      // saturate int16.
      const auto fits = [](int32_t h) { return h >= -128 && h <= 127; };
      if (!fits(h0) || !fits(h1) || std::abs(h0) + std::abs(h1) > 128) taps.hi_fits_int8 = false;
      std::fill(pair, pair + 4, pack(h0, h1));
      std::fill(pair + 4, pair + 8, pack(l0, l1));
    }
  }
}

void resample_vertical(const uint8_t* src, size_t row_bytes, const ResampleTaps& taps,
                       int row_offset, int out_rows, uint8_t* dst) {
  if (kernels::cpu_has_avx2()) {
    kernels::vertical_avx2(src, row_bytes, taps, row_offset, out_rows, dst);
  } else {
    kernels::vertical_scalar(src, row_bytes, taps, row_offset, out_rows, dst);
  }
}

void resample_horizontal(const uint8_t* src, int src_width, int rows, const ResampleTaps& taps,
                         int out_width, uint8_t* dst) {
  if (kernels::cpu_has_avx2()) {
    kernels::horizontal_avx2(src, src_width, rows, taps, out_width, dst);
  } else {
    kernels::horizontal_scalar(src, src_width, rows, taps, out_width, dst);
  }
}

}  // namespace vlq::vision
