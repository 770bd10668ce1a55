#include "vlq/quant/qparams.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "vlq/core/error.hpp"
#include "vlq/quant/fake_quant.hpp"

namespace vlq::quant {

QParams qparams_from_minmax(float min_val, float max_val, IntRange range, bool symmetric) {
  if (range.qmin >= range.qmax) fail("quantization range: qmin must be < qmax");
  // Include zero (torch: min_val_neg = min(min_val, 0), max_val_pos = max(max_val, 0)).
  const float min_neg = std::min(min_val, 0.0f);
  const float max_pos = std::max(max_val, 0.0f);
  QParams p;
  if (symmetric) {
    if (range.qmin >= 0) fail("quantization range: symmetric quantization needs a signed range");
    const float amax = std::max(-min_neg, max_pos);
    // Both operands are fp32 and 127.5 is exact, so this is torch's fp32 tensor division.
    p.scale = amax / (static_cast<float>(range.qmax - range.qmin) / 2.0f);
    p.scale = std::max(p.scale, kObserverEps);
    p.zero_point = 0;
  } else {
    p.scale = (max_pos - min_neg) / static_cast<float>(range.qmax - range.qmin);
    p.scale = std::max(p.scale, kObserverEps);
    const float zp = static_cast<float>(range.qmin) - std::nearbyint(min_neg / p.scale);
    p.zero_point = static_cast<int64_t>(
        std::clamp(zp, static_cast<float>(range.qmin), static_cast<float>(range.qmax)));
  }
  return p;
}

namespace {

void check(std::span<const float> x, int64_t rows, int64_t cols) {
  if (rows < 0 || cols <= 0 || x.size() != static_cast<size_t>(rows * cols))
    fail("qparams: tensor size " + std::to_string(x.size()) + " != rows*cols");
}

}  // namespace

ChannelQParams per_channel_qparams(std::span<const float> x, int64_t rows, int64_t cols,
                                   IntRange range, bool symmetric) {
  return per_group_qparams(x, rows, cols, cols, range, symmetric);
}

ChannelQParams per_group_qparams(std::span<const float> x, int64_t rows, int64_t cols,
                                 int64_t group_size, IntRange range, bool symmetric) {
  check(x, rows, cols);
  if (group_size <= 0) fail("qparams: group_size must be positive");
  const int64_t groups = (cols + group_size - 1) / group_size;
  ChannelQParams out;
  out.scales.resize(static_cast<size_t>(rows * groups));
  out.zero_points.resize(out.scales.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t g = 0; g < groups; ++g) {
      const float* begin = x.data() + r * cols + g * group_size;
      const float* end = x.data() + r * cols + std::min(cols, (g + 1) * group_size);
      auto [lo, hi] = std::minmax_element(begin, end);
      QParams p = qparams_from_minmax(*lo, *hi, range, symmetric);
      out.scales[r * groups + g] = p.scale;
      out.zero_points[r * groups + g] = p.zero_point;
    }
  }
  return out;
}

float fp8_scale_from_amax(float amax) { return amax > 0.0f ? amax / kFp8E4M3Max : 1.0f; }

std::vector<float> fp8_per_channel_scales(std::span<const float> x, int64_t rows, int64_t cols) {
  check(x, rows, cols);
  std::vector<float> scales(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    float amax = 0.0f;
    for (int64_t c = 0; c < cols; ++c) amax = std::max(amax, std::fabs(x[r * cols + c]));
    scales[r] = fp8_scale_from_amax(amax);
  }
  return scales;
}

}  // namespace vlq::quant
