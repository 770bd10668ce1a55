#include "vlq/model/linear.hpp"

#include <string>
#include <vector>

#include "vlq/core/error.hpp"
#include "vlq/model/kernels.hpp"

namespace vlq::model {

namespace {

void check_rows(const LinearOp& op, int64_t rows, std::span<const uint8_t> row_is_real) {
  if (!row_is_real.empty() && static_cast<int64_t>(row_is_real.size()) != rows)
    fail(op.name + ": row_is_real has " + std::to_string(row_is_real.size()) + " entries for " +
         std::to_string(rows) + " rows");
}

void check_shape(const LinearOp& op, const WeightMatrix& weight) {
  if (weight.rows() != op.out_features || weight.cols() != op.in_features)
    fail(op.name + ": weight is [" + std::to_string(weight.rows()) + ", " + std::to_string(weight.cols()) +
         "], expected [" + std::to_string(op.out_features) + ", " + std::to_string(op.in_features) + "]");
}

}  // namespace

void run_linear(const LinearOp& op, std::span<float> x, int64_t rows,
                std::span<const float> weight, std::span<const float> bias, std::span<float> y,
                LinearInterceptor* interceptor, std::span<const uint8_t> row_is_real) {
  if (static_cast<int64_t>(weight.size()) != op.out_features * op.in_features)
    fail(op.name + ": weight has " + std::to_string(weight.size()) + " elements, expected " +
         std::to_string(op.out_features * op.in_features));
  run_linear(op, x, rows, WeightMatrix(weight, op.out_features, op.in_features), bias, y, interceptor,
             row_is_real);
}

void run_linear(const LinearOp& op, std::span<float> x, int64_t rows, const WeightMatrix& weight,
                std::span<const float> bias, std::span<float> y, LinearInterceptor* interceptor,
                std::span<const uint8_t> row_is_real) {
  check_rows(op, rows, row_is_real);
  check_shape(op, weight);
  if (interceptor == nullptr) {
    kernels::linear(x, rows, weight, bias, y);
    return;
  }
  interceptor->before(op, ActivationView{x, rows, op.in_features, row_is_real});
  if (interceptor->replaces_weight(op)) {
    std::vector<float> widened;  // only when the checkpoint's weight is not fp32 in place
    const std::span<const float> stored = weight.to_f32(widened);
    const std::span<const float> w = interceptor->weight(op, stored);
    if (w.size() != stored.size())
      fail(op.name + ": interceptor returned a weight of " + std::to_string(w.size()) +
           " elements, expected " + std::to_string(stored.size()));
    kernels::linear(x, rows, WeightMatrix(w, op.out_features, op.in_features), bias, y);
  } else {
    kernels::linear(x, rows, weight, bias, y);
  }
  interceptor->after(op, ActivationView{y, rows, op.out_features, row_is_real});
}

}  // namespace vlq::model
