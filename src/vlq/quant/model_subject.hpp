#pragma once
// QuantSubject over the C++ Qwen2.5-VL model and collated batches from the data layer.
// Eval scalar: −(Σ token NLL over labels ≠ −100) / (number of such tokens), over all eval batches
// (token-weighted, like HF's mean loss over a concatenated set).
#include <vector>

#include "vlq/data/batch.hpp"
#include "vlq/model/qwen2_5_vl.hpp"
#include "vlq/quant/subject.hpp"

namespace vlq::quant {

class ModelSubject : public QuantSubject {
 public:
  ModelSubject(const model::Qwen25VL& model, std::vector<data::Batch> calib,
               std::vector<data::Batch> eval, bool show_progress = true);
  std::vector<model::LinearOp> ops() const override;
  void calibrate(model::LinearInterceptor& interceptor) override;
  double evaluate(model::LinearInterceptor* interceptor) override;
  Logits output_logits(model::LinearInterceptor* interceptor, int batches) override;
  std::optional<Hidden> output_hidden(model::LinearInterceptor* interceptor, int batches) override;
  // lm_head's weight (the embedding when tied), widened to fp32.
  std::optional<OutputHead> output_head() override;

  // Resume at the changed op's decoder layer from float residual streams kept per batch and
  // carried forward as ops arrive in execution order (vision ops, whose change reaches every
  // layer, run the whole model).
  double evaluate_changing(const model::LinearOp& changed, model::LinearInterceptor& interceptor) override;
  std::optional<Hidden> output_hidden_changing(const model::LinearOp& changed, model::LinearInterceptor& interceptor,
                                               int batches) override;

 private:
  // The layer a run for `changed` may start at, or -1 for "from the inputs".
  int64_t resume_layer(const model::LinearOp& changed) const;
  // batch's float stream entering `layer`, carried forward from the previous request (or
  // recomputed from the inputs if it is already past `layer`).
  const model::ResidualStream& stream_at(std::vector<model::ResidualStream>& streams, size_t index,
                                         const data::Batch& batch, int64_t layer);
  double evaluate_batches(model::LinearInterceptor* interceptor, int64_t resume_layer);
  Hidden hidden_of_batches(model::LinearInterceptor* interceptor, int batches, int64_t resume_layer);

  const model::Qwen25VL& model_;
  std::vector<data::Batch> calib_;
  std::vector<data::Batch> eval_;
  bool progress_;
  std::vector<model::ResidualStream> eval_streams_, calib_streams_;  // one per batch, lazily
};

}  // namespace vlq::quant
