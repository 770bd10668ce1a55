#include "vlq/quant/weight_quant.hpp"

#include <algorithm>
#include <cmath>

#include "vlq/core/error.hpp"
#include "vlq/quant/fake_quant.hpp"
#include "vlq/quant/qparams.hpp"

namespace vlq::quant {

std::vector<float> fake_quantize_weight(const TensorQuant& spec, std::span<const float> weight,
                                        int64_t rows, int64_t cols) {
  if (rows <= 0 || cols <= 0 || weight.size() != static_cast<size_t>(rows * cols))
    fail("fake_quantize_weight: weight size does not match [rows, cols]");
  std::vector<float> out(weight.begin(), weight.end());
  if (spec.format == NumberFormat::kFp8E4M3) {
    if (spec.granularity == Granularity::kPerTensor) {
      float amax = 0.0f;
      for (float v : weight) amax = std::max(amax, std::fabs(v));
      fake_quantize_fp8_per_tensor(out, fp8_scale_from_amax(amax));
    } else {
      fake_quantize_fp8_per_channel(out, rows, cols, fp8_per_channel_scales(weight, rows, cols));
    }
    return out;
  }
  switch (spec.granularity) {
    case Granularity::kPerTensor: {
      auto [lo, hi] = std::minmax_element(weight.begin(), weight.end());
      QParams p = qparams_from_minmax(*lo, *hi, spec.range, spec.symmetric);
      fake_quantize_per_tensor(out, p.scale, p.zero_point, spec.range.qmin, spec.range.qmax);
      break;
    }
    case Granularity::kPerChannel: {
      ChannelQParams p = per_channel_qparams(weight, rows, cols, spec.range, spec.symmetric);
      fake_quantize_per_channel(out, rows, cols, p.scales, p.zero_points, spec.range.qmin,
                                spec.range.qmax);
      break;
    }
    case Granularity::kPerGroup: {
      ChannelQParams p =
          per_group_qparams(weight, rows, cols, spec.group_size, spec.range, spec.symmetric);
      fake_quantize_per_group(out, rows, cols, spec.group_size, p.scales, p.zero_points,
                              spec.range.qmin, spec.range.qmax);
      break;
    }
  }
  return out;
}

}  // namespace vlq::quant
