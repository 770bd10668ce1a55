#pragma once
// log Σ exp(z_j) over one row of logits, the denominator of the token NLL. With Qwen's
// 151,936-token vocabulary this runs 150k exps per scored token, and glibc's scalar double exp
// made it most of the eval time on small models. Hand-written because no Debian library offers
// a vectorisable float exp without -ffast-math (glibc's libmvec variants are only declared under
// __FAST_MATH__): a Cephes-style float exp (range reduction + degree-5 polynomial, ≤ 2 ulp) in
// straight-line lanes the compiler vectorises, partial sums in float over short blocks, the
// total in double.
#include <span>

namespace vlq::model {

// exp(x) for x ≤ 0 (arguments below −87.3 give ~1e-38 instead of a denormal or 0).
float exp_nonpositive(float x);

// max_j z_j + log Σ_j exp(z_j − max). `row` must be non-empty.
double log_sum_exp(std::span<const float> row);

}  // namespace vlq::model
