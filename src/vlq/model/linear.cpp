#include "vlq/model/linear.hpp"

#include <string>

#include "vlq/core/error.hpp"
#include "vlq/model/kernels.hpp"

namespace vlq::model {

void run_linear(const LinearOp& op, std::span<float> x, int64_t rows,
                std::span<const float> weight, std::span<const float> bias, std::span<float> y,
                LinearInterceptor* interceptor, std::span<const uint8_t> row_is_real) {
  if (!row_is_real.empty() && static_cast<int64_t>(row_is_real.size()) != rows)
    fail(op.name + ": row_is_real has " + std::to_string(row_is_real.size()) + " entries for " +
         std::to_string(rows) + " rows");
  std::span<const float> w = weight;
  if (interceptor != nullptr) {
    interceptor->before(op, ActivationView{x, rows, op.in_features, row_is_real});
    w = interceptor->weight(op, weight);
    if (w.size() != weight.size())
      fail(op.name + ": interceptor returned a weight of " + std::to_string(w.size()) +
           " elements, expected " + std::to_string(weight.size()));
  }
  kernels::linear(x, rows, op.in_features, w, op.out_features, bias, y);
  if (interceptor != nullptr)
    interceptor->after(op, ActivationView{y, rows, op.out_features, row_is_real});
}

}  // namespace vlq::model
