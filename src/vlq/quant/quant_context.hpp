#pragma once
// Everything a quantized forward needs that does not change between plans: the calibration
// statistics per op, the activation observer method, and caches of fake-quantized weights and
// activation quantizers per (op, scheme). Sensitivity runs hundreds of plans over the same
// model; each op's weight is fake-quantized once, not once per plan.
#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "vlq/model/linear_hooks.hpp"
#include "vlq/quant/activation_quant.hpp"
#include "vlq/quant/observer.hpp"
#include "vlq/quant/scheme.hpp"

namespace vlq::quant {

using CalibrationStats = std::map<std::string, ActivationObserver>;

class QuantContext {
 public:
  // weight_budget_bytes: fake-quantized fp32 weights kept across plans up to this size; beyond
  // it an op's weight is recomputed on every call (correct, slower).
  QuantContext(CalibrationStats stats, ObserverConfig observer,
               size_t weight_budget_bytes = size_t{4} << 30);

  // The fake-quantized weight of `op` under `scheme`, valid until the next call for this op.
  std::span<const float> weight(const model::LinearOp& op, const Scheme& scheme,
                                std::span<const float> float_weight);
  // Static activation quantizer of `op` (scheme must quantize activations). An op that saw no
  // calibration token → vlq::Error.
  const ActivationQuantizer& activation(const model::LinearOp& op, const Scheme& scheme);

  const CalibrationStats& stats() const { return stats_; }
  const ObserverConfig& observer() const { return observer_; }

 private:
  CalibrationStats stats_;
  ObserverConfig observer_;
  size_t budget_;
  size_t used_ = 0;
  std::map<std::pair<std::string, std::string>, std::vector<float>> weights_;
  std::map<std::pair<std::string, std::string>, ActivationQuantizer> activations_;
};

}  // namespace vlq::quant
