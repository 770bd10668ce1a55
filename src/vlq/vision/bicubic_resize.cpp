#include "vlq/vision/bicubic_resize.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "vlq/core/error.hpp"
#include "vlq/vision/resample_kernels.hpp"

namespace vlq::vision {
namespace {

constexpr double kBicubicSupport = 2.0;

// Keys' cubic convolution kernel with a = -0.5 (Pillow's bicubic_filter, same operation order).
double bicubic_kernel(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

}  // namespace

ResampleTaps bicubic_taps(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = kBicubicSupport * filter_scale;
  ResampleTaps c;
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
      const double scaled = normalised * (1 << kResamplePrecisionBits);
      k[x] = static_cast<int32_t>(scaled < 0 ? -0.5 + scaled : 0.5 + scaled);
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  pack_weight_pairs(c);
  return c;
}

RgbImage resize_bicubic(const RgbImage& source, int64_t out_width, int64_t out_height) {
  if (out_width <= 0 || out_height <= 0) fail("resize_bicubic: sizes must be positive");
  RgbImage out;
  out.width = out_width;
  out.height = out_height;
  out.pixels.resize(static_cast<size_t>(out_width * out_height * 3));
  resize_bicubic_into(source.view(), out_width, out_height, out.pixels.data());
  return out;
}

void resize_bicubic_into(RgbView source, int64_t out_width, int64_t out_height, uint8_t* dst) {
  if (out_width <= 0 || out_height <= 0 || source.width <= 0 || source.height <= 0) {
    fail("resize_bicubic: sizes must be positive");
  }
  if (out_width == source.width && out_height == source.height) {
    std::memcpy(dst, source.pixels, static_cast<size_t>(out_width * out_height * 3));
    return;
  }
  const int in_w = static_cast<int>(source.width);
  const int in_h = static_cast<int>(source.height);
  const int out_w = static_cast<int>(out_width);
  const int out_h = static_cast<int>(out_height);
  const bool need_horizontal = out_w != in_w;
  const bool need_vertical = out_h != in_h;
  const ResampleTaps horizontal = bicubic_taps(in_w, out_w);
  const ResampleTaps vertical = bicubic_taps(in_h, out_h);

  if (!need_horizontal) {
    resample_vertical(source.pixels, size_t{3} * in_w, vertical, 0, out_h, dst);
    return;
  }
  if (!need_vertical) {
    resample_horizontal(source.pixels, in_w, in_h, horizontal, out_w, dst);
    return;
  }
  // Pillow 13 (the installed oracle) picks the pass order: vertical first when the height
  // shrinks by more than twice as many pixels as the width does, else horizontal first. The
  // uint8 intermediate makes the order visible in the output, so it must match.
  const bool vertical_first = (in_h - out_h) > 0 && (in_h - out_h) > (in_w - out_w) * 2;
  if (vertical_first) {
    const auto temp =
        std::make_unique_for_overwrite<uint8_t[]>(static_cast<size_t>(in_w) * out_h * 3);
    resample_vertical(source.pixels, size_t{3} * in_w, vertical, 0, out_h, temp.get());
    resample_horizontal(temp.get(), in_w, out_h, horizontal, out_w, dst);
    return;
  }
  // Horizontal first, over only the source rows the vertical pass reads.
  const int row_first = vertical.first[0];
  const int row_last = vertical.first[out_h - 1] + vertical.count[out_h - 1];
  const auto temp = std::make_unique_for_overwrite<uint8_t[]>(static_cast<size_t>(out_w) *
                                                              (row_last - row_first) * 3);
  resample_horizontal(source.pixels + size_t{3} * in_w * row_first, in_w, row_last - row_first,
                      horizontal, out_w, temp.get());
  resample_vertical(temp.get(), size_t{3} * out_w, vertical, row_first, out_h, dst);
}

}  // namespace vlq::vision
