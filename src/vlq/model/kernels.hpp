#pragma once
// fp32 compute kernels shared by the language model and the vision tower. Matrices are
// row-major. Matmuls go to OpenBLAS (cblas_sgemm); the element-wise kernels and attention are
// written here because no Debian library offers them on plain buffers, and they are cheap
// next to the matmuls. All of them share one persistent thread pool (thread_pool.hpp): matmuls
// split their output columns over it and call a single-threaded OpenBLAS per part, attention
// runs one head per task, element-wise kernels split rows.
#include <cstdint>
#include <functional>
#include <span>

#include "vlq/model/weight_matrix.hpp"

namespace vlq::model::kernels {

// Threads of the kernel pool (the caller counts as one). 0 = $VLQ_THREADS if set, else all
// cores. Also pins OpenBLAS to one thread per call. Not to be called while kernels run.
void set_num_threads(int threads);
int num_threads();

// Runs body(begin, end) over [0, n) split into at most 4·num_threads() contiguous chunks of at
// least min_chunk (serially when n is small, one thread is configured, or when called from
// inside another parallel_for).
void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& body,
                  int64_t min_chunk = 1);

// y[rows, out] = x[rows, in] · w[out, in]ᵀ (+ bias[out] if non-empty). Like torch.nn.Linear.
void linear(std::span<const float> x, int64_t rows, int64_t in_features,
            std::span<const float> weight, int64_t out_features, std::span<const float> bias,
            std::span<float> y);
// The same with the weight in place in a checkpoint ([out, in] = weight.rows() × cols()): fp32
// weights are read where they are, others are widened tile by tile inside the matmul. Outputs
// are bit-identical whatever the weight's storage (the same values as F32, BF16 or a buffer)
// and whatever the thread count.
void linear(std::span<const float> x, int64_t rows, const WeightMatrix& weight,
            std::span<const float> bias, std::span<float> y);

// y[r, :] = x[r, :] / sqrt(mean(x[r, :]²) + eps) * weight  (Qwen2RMSNorm in fp32). y may alias x.
void rms_norm(std::span<const float> x, int64_t rows, int64_t dim, std::span<const float> weight,
              float eps, std::span<float> y);

// x ← x·σ(x)
void silu_inplace(std::span<float> x);
// gate ← silu(gate) ⊙ up  (the SwiGLU of Qwen2 MLPs)
void silu_mul_inplace(std::span<float> gate, std::span<const float> up);
// x ← 0.5·x·(1 + erf(x/√2))  (nn.GELU() default, exact erf)
void gelu_erf_inplace(std::span<float> x);

// Numerically stable softmax over each row of x[rows, cols], in place.
void softmax_rows(std::span<float> x, int64_t rows, int64_t cols);

// Rotate-half (NeoX) RoPE: for each row r and head h of x[rows, heads·head_dim],
// x_h ← x_h·cos[r] + rotate_half(x_h)·sin[r], rotate_half(v) = (−v[d/2:], v[:d/2]).
// cos/sin are [rows, head_dim].
void apply_rope(std::span<float> x, int64_t rows, int64_t heads, int64_t head_dim,
                std::span<const float> cos, std::span<const float> sin);

// Scaled dot-product attention for one sequence, all heads, with grouped KV heads
// (query head h uses kv head h / (heads / kv_heads)).
//   q: [q_len, heads·head_dim]   k, v: [kv_len, kv_heads·head_dim]   out: [q_len, heads·head_dim]
// Key j is visible to query i iff (!causal || j <= i) && (key_is_real.empty() || key_is_real[j]).
// A query with no visible key gets a uniform average over all keys, like eager attention with
// an additive finfo.min mask (only ever happens on padding rows).
struct AttentionMask {
  bool causal = false;
  std::span<const uint8_t> key_is_real;  // [kv_len] or empty = all real
};
void attention(std::span<const float> q, std::span<const float> k, std::span<const float> v,
               int64_t q_len, int64_t kv_len, int64_t heads, int64_t kv_heads, int64_t head_dim,
               float scale, const AttentionMask& mask, std::span<float> out);

}  // namespace vlq::model::kernels
