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

 private:
  const model::Qwen25VL& model_;
  std::vector<data::Batch> calib_;
  std::vector<data::Batch> eval_;
  bool progress_;
};

}  // namespace vlq::quant
