#include "vlq/quant/activation_quant.hpp"

#include <algorithm>
#include <cmath>

#include "vlq/core/error.hpp"
#include "vlq/quant/fake_quant.hpp"

namespace vlq::quant {

ActivationQuantizer::ActivationQuantizer(const TensorQuant& spec, ClipRange range) : spec_(spec) {
  if (spec.granularity != Granularity::kPerTensor)
    fail("activation quantization: only per-tensor static activations are supported");
  if (spec.format == NumberFormat::kFp8E4M3)
    fp8_scale_ = fp8_scale_from_amax(std::max(std::fabs(range.lo), std::fabs(range.hi)));
  else
    qparams_ = qparams_from_minmax(range.lo, range.hi, spec.range, spec.symmetric);
}

void ActivationQuantizer::apply(std::span<float> values) const {
  if (spec_.format == NumberFormat::kFp8E4M3)
    fake_quantize_fp8_per_tensor(values, fp8_scale_);
  else
    fake_quantize_per_tensor(values, qparams_.scale, qparams_.zero_point, spec_.range.qmin,
                             spec_.range.qmax);
}

}  // namespace vlq::quant
