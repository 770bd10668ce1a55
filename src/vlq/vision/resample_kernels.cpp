#include "vlq/vision/resample_kernels.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

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

// (Σhi << 15) + Σlo + ½: the int32 sum Pillow accumulates (see pack_weight_pairs).
__attribute__((target("avx2"))) inline __m256i recombine(__m256i hi, __m256i lo) {
  return _mm256_add_epi32(_mm256_add_epi32(_mm256_slli_epi32(hi, 15), lo),
                          _mm256_set1_epi32(kHalf));
}

// Shift and pack 4 × 8 int32 sums into 32 bytes. The saturating packs clamp exactly like clip8:
// a negative value becomes 0 and one above 255 becomes 255 (int32 → int16 → uint8).
__attribute__((target("avx2"))) inline __m256i shift_pack_32(__m256i a, __m256i b, __m256i c,
                                                             __m256i d) {
  const __m256i ab = _mm256_packs_epi32(_mm256_srai_epi32(a, kResamplePrecisionBits),
                                        _mm256_srai_epi32(b, kResamplePrecisionBits));
  const __m256i cd = _mm256_packs_epi32(_mm256_srai_epi32(c, kResamplePrecisionBits),
                                        _mm256_srai_epi32(d, kResamplePrecisionBits));
  // The packs work per 128-bit lane, leaving 4-byte groups in the order a0 b0 c0 d0 a1 b1 c1 d1
  // (x0 = elements 0-3 of x, x1 = elements 4-7); restore a0 a1 b0 b1 c0 c1 d0 d1.
  return _mm256_permutevar8x32_epi32(_mm256_packus_epi16(ab, cd),
                                     _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// One int32 from memory into all four lanes (a single vpbroadcastd).
__attribute__((target("avx2"))) inline __m128i broadcast(const int32_t* p) {
  return _mm_broadcastd_epi32(_mm_cvtsi32_si128(*p));
}

// Bytes of two rows interleaved and widened to int16: (a0, b0, a1, b1, …) for 8 columns each.
struct InterleavedWords {
  __m256i low;   // columns 0-7
  __m256i high;  // columns 8-15
};

__attribute__((target("avx2"))) inline InterleavedWords interleave16(__m128i a, __m128i b) {
  return {_mm256_cvtepu8_epi16(_mm_unpacklo_epi8(a, b)),
          _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(a, b))};
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
  for (int p = 0; p < steps; ++p, in += 6, pairs += 2) {
    const __m128i v =
        _mm_shuffle_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(in)), spread);
    hi = _mm_add_epi32(hi, _mm_madd_epi16(v, broadcast(pairs)));
    lo = _mm_add_epi32(lo, _mm_madd_epi16(v, broadcast(pairs + 1)));
  }
  const __m128i sum =
      _mm_add_epi32(_mm_add_epi32(_mm_slli_epi32(hi, 15), lo), _mm_set1_epi32(kHalf));
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
  for (int r = 0; r < rows; ++r) {
    const uint8_t* row = src + static_cast<size_t>(r) * row_bytes;
    uint8_t* out = dst + static_cast<size_t>(r) * out_width * 3;
    const size_t remaining = static_cast<size_t>(rows - r) * row_bytes;
    int xx = 0;
    if (max_read_end <= remaining) {
      // Four bytes are stored per pixel: the fourth is the next pixel's first byte, which that
      // pixel then overwrites; the row's last pixel stores exactly three.
      for (; xx + 1 < out_width; ++xx, out += 3)
        _mm_storeu_si32(out, horizontal_pixel_avx2<kPairs>(row + size_t{3} * first[xx],
                                                           pairs + size_t{2} * slots * xx, slots));
    }
    for (; xx < out_width; ++xx, out += 3) {
      if (read_end(xx) <= remaining) {
        const int32_t packed = _mm_cvtsi128_si32(horizontal_pixel_avx2<kPairs>(
            row + size_t{3} * first[xx], pairs + size_t{2} * slots * xx, slots));
        std::memcpy(out, &packed, 3);
      } else {
        horizontal_pixel_scalar(row, taps, xx, out);
      }
    }
  }
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

// 32 bytes of a row at a time, two taps per step: the two input rows' bytes are interleaved as
// int16 pairs and one pmaddwd per weight half adds both taps. Eight accumulators (hi and lo
// halves of 4 × 8 columns) stay in registers over all taps; a scalar loop does the row's tail.
__attribute__((target("avx2"))) void vertical_avx2(const uint8_t* src, size_t row_bytes,
                                                   const ResampleTaps& taps, int row_offset,
                                                   int out_rows, uint8_t* dst) {
  const __m128i zero = _mm_setzero_si128();
  for (int yy = 0; yy < out_rows; ++yy) {
    const int32_t* k = &taps.weights[static_cast<size_t>(yy) * taps.ksize];
    const int32_t* pairs = &taps.pairs[static_cast<size_t>(yy) * taps.pair_slots * 2];
    const uint8_t* first = src + static_cast<size_t>(taps.first[yy] - row_offset) * row_bytes;
    const int count = taps.count[yy];
    uint8_t* out = dst + static_cast<size_t>(yy) * row_bytes;
    size_t i = 0;
    for (; i + 32 <= row_bytes; i += 32) {
      __m256i h0 = _mm256_setzero_si256(), h1 = h0, h2 = h0, h3 = h0;
      __m256i l0 = h0, l1 = h0, l2 = h0, l3 = h0;
      const uint8_t* in = first + i;
      for (int y = 0; y < count; y += 2, in += 2 * row_bytes) {
        const __m256i wh = _mm256_set1_epi32(pairs[y]);
        const __m256i wl = _mm256_set1_epi32(pairs[y + 1]);
        const auto* a = reinterpret_cast<const __m128i*>(in);
        // An odd last tap pairs with zeros: its partner weight is zero, and the row after it
        // may be past the buffer.
        const bool single = y + 1 == count;
        const auto* b = reinterpret_cast<const __m128i*>(in + row_bytes);
        const InterleavedWords c0 =
            interleave16(_mm_loadu_si128(a), single ? zero : _mm_loadu_si128(b));
        const InterleavedWords c1 =
            interleave16(_mm_loadu_si128(a + 1), single ? zero : _mm_loadu_si128(b + 1));
        h0 = _mm256_add_epi32(h0, _mm256_madd_epi16(c0.low, wh));
        l0 = _mm256_add_epi32(l0, _mm256_madd_epi16(c0.low, wl));
        h1 = _mm256_add_epi32(h1, _mm256_madd_epi16(c0.high, wh));
        l1 = _mm256_add_epi32(l1, _mm256_madd_epi16(c0.high, wl));
        h2 = _mm256_add_epi32(h2, _mm256_madd_epi16(c1.low, wh));
        l2 = _mm256_add_epi32(l2, _mm256_madd_epi16(c1.low, wl));
        h3 = _mm256_add_epi32(h3, _mm256_madd_epi16(c1.high, wh));
        l3 = _mm256_add_epi32(l3, _mm256_madd_epi16(c1.high, wl));
      }
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i),
                          shift_pack_32(recombine(h0, l0), recombine(h1, l1), recombine(h2, l2),
                                        recombine(h3, l3)));
    }
    for (; i < row_bytes; ++i) {
      int32_t acc = kHalf;
      for (int y = 0; y < count; ++y) acc += first[static_cast<size_t>(y) * row_bytes + i] * k[y];
      out[i] = clip8(acc);
    }
  }
}

// Mild scalings (the usual case for smart_resize) have 3 or 4 pair slots; those get a
// fully unrolled step loop.
__attribute__((target("avx2"))) void horizontal_avx2(const uint8_t* src, int src_width, int rows,
                                                     const ResampleTaps& taps, int out_width,
                                                     uint8_t* dst) {
  switch (taps.pair_slots) {
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
  taps.pair_slots = (taps.ksize + 1) / 2;
  const size_t outputs = taps.first.size();
  taps.pairs.assign(outputs * taps.pair_slots * 2, 0);
  for (size_t o = 0; o < outputs; ++o) {
    const int32_t* k = &taps.weights[o * taps.ksize];
    int32_t* pair = &taps.pairs[o * taps.pair_slots * 2];
    for (int p = 0; p < taps.pair_slots; ++p, pair += 2) {
      const int32_t k0 = k[2 * p];
      const int32_t k1 = 2 * p + 1 < taps.ksize ? k[2 * p + 1] : 0;
      // hi = k >> 15 (arithmetic), lo = k & 0x7FFF; two int16 per int32, tap 2p in the low half.
      const auto pack = [](int32_t a, int32_t b) {
        return static_cast<int32_t>((static_cast<uint32_t>(a) & 0xFFFFu) |
                                    (static_cast<uint32_t>(b) << 16));
      };
      pair[0] = pack(k0 >> 15, k1 >> 15);
      pair[1] = pack(k0 & 0x7FFF, k1 & 0x7FFF);
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
