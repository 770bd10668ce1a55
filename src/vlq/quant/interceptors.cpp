#include "vlq/quant/interceptors.hpp"

#include <algorithm>

#include "vlq/core/error.hpp"
#include "vlq/model/kernels.hpp"

namespace vlq::quant {

void ObserverInterceptor::before(const model::LinearOp& op, model::ActivationView input) {
  if (!ops_.count(op.name)) return;
  stats_[op.name].observe(input.values, input.rows, input.features, input.row_is_real);
}

void QuantizingInterceptor::before(const model::LinearOp& op, model::ActivationView input) {
  const Scheme* s = plan_.scheme_of(op.name);
  if (!s || !s->activation) return;
  context_.activation(op, *s).apply(input.values);
}

std::span<const float> QuantizingInterceptor::weight(const model::LinearOp& op,
                                                     std::span<const float> weight) {
  const Scheme* s = plan_.scheme_of(op.name);
  return s ? context_.weight(op, *s, weight) : weight;
}

void LocalErrorInterceptor::before(const model::LinearOp& op, model::ActivationView input) {
  n_rows_ = 0;
  rows_.clear();
  if (!ops_.count(op.name)) return;
  std::vector<int64_t> real;
  for (int64_t r = 0; r < input.rows; ++r)
    if (input.row_is_real.empty() || input.row_is_real[r]) real.push_back(r);
  const int64_t n = static_cast<int64_t>(real.size());
  const int64_t take = std::min(n, max_rows_);
  rows_.resize(static_cast<size_t>(take * input.features));
  for (int64_t i = 0; i < take; ++i) {
    const int64_t r = real[static_cast<size_t>(i * n / take)];  // evenly strided sample
    std::copy_n(input.values.data() + r * input.features, input.features,
                rows_.data() + i * input.features);
  }
  n_rows_ = take;
}

std::span<const float> LocalErrorInterceptor::weight(const model::LinearOp& op,
                                                     std::span<const float> weight) {
  if (!ops_.count(op.name) || n_rows_ == 0) return weight;
  const int64_t in = op.in_features, out = op.out_features;
  std::vector<float> y(static_cast<size_t>(n_rows_ * out)), yq(y.size());
  model::kernels::linear(rows_, n_rows_, in, weight, out, {}, y);
  if (scheme_.activation) context_.activation(op, scheme_).apply(rows_);
  model::kernels::linear(rows_, n_rows_, in, context_.weight(op, scheme_, weight), out, {}, yq);
  LocalError& e = errors_[op.name];
  for (size_t i = 0; i < y.size(); ++i) {
    const double d = static_cast<double>(yq[i]) - y[i];
    e.sse += d * d;
    e.ref_ss += static_cast<double>(y[i]) * y[i];
  }
  e.elements += static_cast<int64_t>(y.size());
  return weight;  // the model itself keeps running in float
}

}  // namespace vlq::quant
