#pragma once
// The quant layer's LinearInterceptors (model/linear_hooks.hpp):
//   ObserverInterceptor    calibration: per-op activation statistics over real tokens
//   QuantizingInterceptor  forward under a QuantPlan: fake-quantized weights and static
//                          fake-quantized input activations for the plan's quantized ops
//   LocalErrorInterceptor  the `local` sensitivity: during a float forward, each op's own output
//                          error when only that op is quantized, on its real float inputs
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "vlq/model/linear_hooks.hpp"
#include "vlq/quant/quant_context.hpp"
#include "vlq/quant/quant_plan.hpp"

namespace vlq::quant {

class ObserverInterceptor : public model::LinearInterceptor {
 public:
  explicit ObserverInterceptor(std::set<std::string> ops) : ops_(std::move(ops)) {}
  void before(const model::LinearOp& op, model::ActivationView input) override;
  bool replaces_weight(const model::LinearOp&) const override { return false; }
  CalibrationStats take() { return std::move(stats_); }

 private:
  std::set<std::string> ops_;
  CalibrationStats stats_;
};

class QuantizingInterceptor : public model::LinearInterceptor {
 public:
  QuantizingInterceptor(QuantContext& context, const QuantPlan& plan)
      : context_(context), plan_(plan) {}
  void before(const model::LinearOp& op, model::ActivationView input) override;
  std::span<const float> weight(const model::LinearOp& op, std::span<const float> weight) override;
  // Float ops keep the model's own weight path (streamed from the checkpoint, never widened whole).
  bool replaces_weight(const model::LinearOp& op) const override { return plan_.scheme_of(op.name) != nullptr; }

 private:
  QuantContext& context_;
  const QuantPlan& plan_;
};

struct LocalError {
  double sse = 0.0;        // Σ (y_q − y)² over the sampled real rows (pre-bias outputs)
  double ref_ss = 0.0;     // Σ y²
  int64_t elements = 0;
  double mse() const { return elements ? sse / static_cast<double>(elements) : 0.0; }
  double relative() const { return ref_ss > 0.0 ? sse / ref_ss : 0.0; }
};

class LocalErrorInterceptor : public model::LinearInterceptor {
 public:
  // At most `max_rows_per_call` real rows of each call are scored (evenly strided) to bound cost.
  LocalErrorInterceptor(QuantContext& context, const Scheme& scheme, std::set<std::string> ops,
                        int64_t max_rows_per_call = 256)
      : context_(context), scheme_(scheme), ops_(std::move(ops)), max_rows_(max_rows_per_call) {}
  void before(const model::LinearOp& op, model::ActivationView input) override;
  std::span<const float> weight(const model::LinearOp& op, std::span<const float> weight) override;
  // Only the scored ops need their fp32 weight (for the two local GEMMs); it is returned unchanged.
  bool replaces_weight(const model::LinearOp& op) const override { return ops_.count(op.name) > 0; }
  const std::map<std::string, LocalError>& errors() const { return errors_; }

 private:
  QuantContext& context_;
  const Scheme& scheme_;
  std::set<std::string> ops_;
  int64_t max_rows_;
  std::vector<float> rows_;  // sampled real input rows of the current op
  int64_t n_rows_ = 0;
  std::map<std::string, LocalError> errors_;
};

}  // namespace vlq::quant
