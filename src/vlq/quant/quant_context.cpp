#include "vlq/quant/quant_context.hpp"

#include "vlq/core/error.hpp"
#include "vlq/quant/weight_quant.hpp"

namespace vlq::quant {

QuantContext::QuantContext(CalibrationStats stats, ObserverConfig observer,
                           size_t weight_budget_bytes)
    : stats_(std::move(stats)), observer_(observer), budget_(weight_budget_bytes) {}

std::span<const float> QuantContext::weight(const model::LinearOp& op, const Scheme& scheme,
                                            std::span<const float> float_weight) {
  auto key = std::make_pair(op.name, scheme.name);
  auto it = weights_.find(key);
  if (it != weights_.end() && it->second.size() == float_weight.size()) return it->second;
  std::vector<float> q =
      fake_quantize_weight(scheme.weight, float_weight, op.out_features, op.in_features);
  const size_t bytes = q.size() * sizeof(float);
  if (it != weights_.end()) {
    it->second = std::move(q);  // over-budget slot being refreshed
    return it->second;
  }
  if (used_ + bytes <= budget_) used_ += bytes;
  else key.second += "#uncached";  // one scratch slot per op, overwritten each call
  auto& slot = weights_[key];
  slot = std::move(q);
  return slot;
}

const ActivationQuantizer& QuantContext::activation(const model::LinearOp& op,
                                                    const Scheme& scheme) {
  auto key = std::make_pair(op.name, scheme.name);
  auto it = activations_.find(key);
  if (it != activations_.end()) return it->second;
  if (!scheme.activation) fail("op " + op.name + ": scheme " + scheme.name + " is weight-only");
  auto s = stats_.find(op.name);
  if (s == stats_.end() || s->second.count() == 0)
    fail("op " + op.name + ": no calibration statistics (the calibration data never ran this op)");
  ClipRange range = s->second.clip_range(observer_, *scheme.activation);
  return activations_.emplace(key, ActivationQuantizer(*scheme.activation, range)).first->second;
}

}  // namespace vlq::quant
