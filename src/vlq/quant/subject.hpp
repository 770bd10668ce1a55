#pragma once
// What calibration, sensitivity and the tuner need from "a model plus its data", behind one
// interface so the algorithms are tested on small synthetic subjects as well as on Qwen2.5-VL:
// run the calibration set, compute the eval scalar, and produce output logits, each through an
// optional LinearInterceptor.
#include <cstdint>
#include <vector>

#include "vlq/model/linear_hooks.hpp"

namespace vlq::quant {

struct Logits {
  int64_t rows = 0;   // real (non-padding) token positions, all confidence batches concatenated
  int64_t vocab = 0;
  std::vector<float> values;  // [rows, vocab]
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
};

}  // namespace vlq::quant
