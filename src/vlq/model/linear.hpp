#pragma once
// One quantizable Linear op run through the LinearInterceptor contract (linear_hooks.hpp):
// before(input) → weight(w) → y = x·wᵀ + b → after(output). Both towers call this so every op is
// hooked the same way.
#include <cstdint>
#include <span>

#include "vlq/model/linear_hooks.hpp"
#include "vlq/model/weight_matrix.hpp"

namespace vlq::model {

// x: [rows, op.in_features] (may be modified in place by the interceptor),
// weight: [op.out_features, op.in_features], bias: [out] or empty, y: [rows, out].
// row_is_real: [rows] or empty (every row real).
void run_linear(const LinearOp& op, std::span<float> x, int64_t rows,
                std::span<const float> weight, std::span<const float> bias, std::span<float> y,
                LinearInterceptor* interceptor, std::span<const uint8_t> row_is_real = {});

// The same with the weight where the checkpoint keeps it. It is widened to fp32 as a whole only
// when the interceptor may replace it (LinearInterceptor::replaces_weight); otherwise the matmul
// reads it in place or widens it tile by tile (kernels::linear).
void run_linear(const LinearOp& op, std::span<float> x, int64_t rows, const WeightMatrix& weight,
                std::span<const float> bias, std::span<float> y, LinearInterceptor* interceptor,
                std::span<const uint8_t> row_is_real = {});

}  // namespace vlq::model
