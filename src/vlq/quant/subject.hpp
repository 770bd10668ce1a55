#pragma once
// What calibration, sensitivity and the tuner need from "a model plus its data", behind one
// interface so the algorithms are tested on small synthetic subjects as well as on Qwen2.5-VL:
// run the calibration set, compute the eval scalar, and produce output logits, each through an
// optional LinearInterceptor.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vlq/model/linear_hooks.hpp"

namespace vlq::quant {

struct Logits {
  int64_t rows = 0;   // real (non-padding) token positions, all confidence batches concatenated
  int64_t vocab = 0;
  std::vector<float> values;  // [rows, vocab]
};

// Final hidden states feeding the output head, at the same real positions as Logits.
struct Hidden {
  int64_t rows = 0;
  int64_t width = 0;
  std::vector<float> values;  // [rows, width]
};

// The output head (logits = hidden · weightᵀ, no bias), exposed so the `output` method can work
// in hidden space (output_error.hpp).
struct OutputHead {
  std::string op_name;  // the head's op name, e.g. "lm_head"
  int64_t in_features = 0;
  int64_t out_features = 0;  // vocabulary
  std::vector<float> weight;  // [out_features, in_features], fp32
};

class QuantSubject {
 public:
  virtual ~QuantSubject() = default;
  // Every quantizable op in execution order.
  virtual std::vector<model::LinearOp> ops() const = 0;
  // Runs every calibration batch forward through `interceptor`.
  virtual void calibrate(model::LinearInterceptor& interceptor) = 0;
  // The eval scalar over the eval set, higher is better (vlq: −mean token NLL over labels ≠ −100).
  virtual double evaluate(model::LinearInterceptor* interceptor) = 0;
  // Logits at real positions of the first `batches` calibration batches ("confidence batches").
  virtual Logits output_logits(model::LinearInterceptor* interceptor, int batches) = 0;
  // The same positions' final hidden states, and the head mapping them to logits; subjects
  // without a separable head return nullopt and `output` uses logits.
  virtual std::optional<Hidden> output_hidden(model::LinearInterceptor* /*interceptor*/, int /*batches*/) {
    return std::nullopt;
  }
  virtual std::optional<OutputHead> output_head() { return std::nullopt; }

  // evaluate / output_hidden for an interceptor that leaves every op before `changed` (in
  // execution order) in float — sensitivity's one-op-at-a-time plans. Results must equal the
  // plain calls exactly; a subject may get there faster by skipping the unchanged prefix of the
  // model (ModelSubject resumes at the op's decoder layer). Ops should come in execution order:
  // a subject may carry state forward from one op to the next.
  virtual double evaluate_changing(const model::LinearOp& /*changed*/, model::LinearInterceptor& interceptor) {
    return evaluate(&interceptor);
  }
  virtual std::optional<Hidden> output_hidden_changing(const model::LinearOp& /*changed*/,
                                                       model::LinearInterceptor& interceptor, int batches) {
    return output_hidden(&interceptor, batches);
  }
};

}  // namespace vlq::quant
