#include "vlq/vision/bicubic_resize.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "vlq/core/error.hpp"

namespace vlq::vision {
namespace {

// Pillow: PRECISION_BITS = 32 - 8 - 2 leaves headroom for 8-bit samples times weights that can
// exceed 1 (negative lobes) without overflowing int32.
constexpr int kPrecisionBits = 32 - 8 - 2;
constexpr double kBicubicSupport = 2.0;

// Keys' cubic convolution kernel with a = -0.5 (Pillow's bicubic_filter, same operation order).
double bicubic_kernel(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// For one axis: per output index, the first contributing input index, the count, and the
// fixed-point weights (ksize slots per output index, unused slots zero).
struct AxisCoefficients {
  int ksize = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;
};

AxisCoefficients precompute_coefficients(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = kBicubicSupport * filter_scale;
  AxisCoefficients c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.weights.assign(static_cast<size_t>(out_size) * c.ksize, 0);
  std::vector<double> w(c.ksize);
  const double inverse_filter_scale = 1.0 / filter_scale;
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    // Pillow truncates with an (int) cast; center - support + 0.5 can be negative, where the
    // cast rounds toward zero before the clamp to 0, so the clamp makes the result identical.
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double total = 0.0;
    for (int x = 0; x < xmax; ++x) {
      w[x] = bicubic_kernel((x + xmin - center + 0.5) * inverse_filter_scale);
      total += w[x];
    }
    int32_t* k = &c.weights[static_cast<size_t>(xx) * c.ksize];
    for (int x = 0; x < xmax; ++x) {
      const double normalised = total != 0.0 ? w[x] / total : w[x];
      // Pillow's normalize_coeffs_8bpc: round half away from zero into 22-bit fixed point.
      const double scaled = normalised * (1 << kPrecisionBits);
      k[x] = static_cast<int32_t>(scaled < 0 ? -0.5 + scaled : 0.5 + scaled);
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  return c;
}

inline uint8_t clip8(int32_t accumulator) {
  const int32_t v = accumulator >> kPrecisionBits;  // arithmetic shift, as in Pillow
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// Vertical pass: each output row is a weighted sum of whole input rows. The row is walked in
// fixed-size chunks whose accumulators stay in vector registers while all taps are added
// (contiguous, vectorisable, no accumulator traffic through memory).
void resample_vertical(const uint8_t* src, int width, const AxisCoefficients& c, int row_offset,
                       int out_height, uint8_t* dst) {
  constexpr int32_t kHalf = 1 << (kPrecisionBits - 1);
  constexpr size_t kChunk = 64;
  const size_t row_samples = static_cast<size_t>(width) * 3;
  for (int yy = 0; yy < out_height; ++yy) {
    const int32_t* k = &c.weights[static_cast<size_t>(yy) * c.ksize];
    const uint8_t* first = src + static_cast<size_t>(c.first[yy] - row_offset) * row_samples;
    const int taps = c.count[yy];
    uint8_t* out = dst + static_cast<size_t>(yy) * row_samples;
    size_t i = 0;
    for (; i + kChunk <= row_samples; i += kChunk) {
      int32_t acc[kChunk];
      for (size_t j = 0; j < kChunk; ++j) acc[j] = kHalf;
      for (int y = 0; y < taps; ++y) {
        const uint8_t* in = first + static_cast<size_t>(y) * row_samples + i;
        const int32_t weight = k[y];
        for (size_t j = 0; j < kChunk; ++j) acc[j] += in[j] * weight;
      }
      for (size_t j = 0; j < kChunk; ++j) out[i + j] = clip8(acc[j]);
    }
    for (; i < row_samples; ++i) {
      int32_t acc = kHalf;
      for (int y = 0; y < taps; ++y) acc += first[static_cast<size_t>(y) * row_samples + i] * k[y];
      out[i] = clip8(acc);
    }
  }
}

// Swaps the axes of an RGB image: src is `height` lines of `width` pixels, dst becomes `width`
// lines of `height` pixels. Blocked so both sides stay in cache.
void transpose_rgb(const uint8_t* src, int width, int height, uint8_t* dst) {
  constexpr int kBlock = 32;
  for (int y0 = 0; y0 < height; y0 += kBlock) {
    const int y1 = std::min(height, y0 + kBlock);
    for (int x0 = 0; x0 < width; x0 += kBlock) {
      const int x1 = std::min(width, x0 + kBlock);
      for (int y = y0; y < y1; ++y) {
        const uint8_t* in = src + (static_cast<size_t>(y) * width + x0) * 3;
        for (int x = x0; x < x1; ++x, in += 3) {
          uint8_t* out = dst + (static_cast<size_t>(x) * height + y) * 3;
          out[0] = in[0];
          out[1] = in[1];
          out[2] = in[2];
        }
      }
    }
  }
}

// Horizontal pass over source rows [row_begin, row_begin + rows). The taps of one output pixel
// are scattered along a row, which does not vectorise; on the transposed image they are whole
// lines, so the pass runs as the (vectorised) line-accumulating vertical kernel between two
// transposes. Same integer sums, so the result is unchanged.
void resample_horizontal(const uint8_t* src, int src_width, int row_begin, int rows,
                         const AxisCoefficients& c, int out_width, uint8_t* dst) {
  // Scratch buffers are fully overwritten, so they are not zero-filled.
  const auto columns = std::make_unique_for_overwrite<uint8_t[]>(static_cast<size_t>(src_width) * rows * 3);
  transpose_rgb(src + static_cast<size_t>(row_begin) * src_width * 3, src_width, rows,
                columns.get());
  const auto resampled = std::make_unique_for_overwrite<uint8_t[]>(static_cast<size_t>(out_width) * rows * 3);
  resample_vertical(columns.get(), rows, c, 0, out_width, resampled.get());
  transpose_rgb(resampled.get(), rows, out_width, dst);
}

}  // namespace

RgbImage resize_bicubic(const RgbImage& source, int64_t out_width, int64_t out_height) {
  if (out_width <= 0 || out_height <= 0 || source.width <= 0 || source.height <= 0) {
    fail("resize_bicubic: sizes must be positive");
  }
  if (out_width == source.width && out_height == source.height) return source;
  const int in_w = static_cast<int>(source.width);
  const int in_h = static_cast<int>(source.height);
  const int out_w = static_cast<int>(out_width);
  const int out_h = static_cast<int>(out_height);
  const bool need_horizontal = out_w != in_w;
  const bool need_vertical = out_h != in_h;
  const AxisCoefficients horizontal = precompute_coefficients(in_w, out_w);
  const AxisCoefficients vertical = precompute_coefficients(in_h, out_h);

  RgbImage out;
  out.width = out_w;
  out.height = out_h;
  out.pixels.resize(static_cast<size_t>(out_w) * out_h * 3);

  if (!need_horizontal) {
    resample_vertical(source.pixels.data(), in_w, vertical, 0, out_h, out.pixels.data());
    return out;
  }
  if (!need_vertical) {
    resample_horizontal(source.pixels.data(), in_w, 0, in_h, horizontal, out_w,
                        out.pixels.data());
    return out;
  }
  // Pillow 13 (the installed oracle) picks the pass order: vertical first when the height
  // shrinks by more than twice as many pixels as the width does, else horizontal first. The
  // uint8 intermediate makes the order visible in the output, so it must match.
  const bool vertical_first = (in_h - out_h) > 0 && (in_h - out_h) > (in_w - out_w) * 2;
  if (vertical_first) {
    const auto temp = std::make_unique_for_overwrite<uint8_t[]>(static_cast<size_t>(in_w) * out_h * 3);
    resample_vertical(source.pixels.data(), in_w, vertical, 0, out_h, temp.get());
    resample_horizontal(temp.get(), in_w, 0, out_h, horizontal, out_w, out.pixels.data());
    return out;
  }
  // Horizontal first, over only the source rows the vertical pass reads.
  const int row_first = vertical.first[0];
  const int row_last = vertical.first[out_h - 1] + vertical.count[out_h - 1];
  const auto temp = std::make_unique_for_overwrite<uint8_t[]>(static_cast<size_t>(out_w) * (row_last - row_first) * 3);
  resample_horizontal(source.pixels.data(), in_w, row_first, row_last - row_first, horizontal,
                      out_w, temp.get());
  resample_vertical(temp.get(), out_w, vertical, row_first, out_h, out.pixels.data());
  return out;
}

}  // namespace vlq::vision
