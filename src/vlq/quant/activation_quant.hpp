#pragma once
// Static per-tensor activation fake-quantizer: parameters fixed at calibration (from an
// observer's clip range), then applied to every input of the op in place.
#include <span>

#include "vlq/quant/observer.hpp"
#include "vlq/quant/qparams.hpp"
#include "vlq/quant/scheme.hpp"

namespace vlq::quant {

class ActivationQuantizer {
 public:
  ActivationQuantizer(const TensorQuant& spec, ClipRange range);
  void apply(std::span<float> values) const;
  const QParams& qparams() const { return qparams_; }  // kInt
  float fp8_scale() const { return fp8_scale_; }       // kFp8E4M3

 private:
  TensorQuant spec_;
  QParams qparams_;
  float fp8_scale_ = 1.0f;
};

}  // namespace vlq::quant
