#pragma once
// The `output` sensitivity score, Σ over real positions and vocabulary of
// (logits_quantized − logits_float)², computed two ways:
//
//   logits  from the full [rows, vocab] logits of both runs; also gives the mean KL(float‖quant)
//           per position. Costs a [rows, hidden] × [hidden, vocab] GEMM and `vocab` exps per row
//           for every scored op; with Qwen's 151,936-token vocabulary that is most of the work.
//   gram    when the op is not the output head itself, the head is float and identical in both
//           runs, so logits_q − logits_f = W (h_q − h_f) for the final hidden states h, and
//           Σ‖W d‖² = Σ dᵀ (WᵀW) d. The [hidden, hidden] Gram matrix is built once per run; each op
//           then costs a [rows, hidden] × [hidden, hidden] GEMM: 74× fewer FLOPs than the head at
//           the 3B shape (151936 / 2048), and no exps. Same quantity, no KL.
#include <cstdint>
#include <span>
#include <vector>

#include "vlq/quant/subject.hpp"

namespace vlq::quant {

struct OutputError {
  double sse = 0.0;
  double mse = 0.0;  // sse / (rows · vocab)
  double kl = 0.0;   // mean KL(float‖quant) per position; logits path only
};

OutputError compare_logits(const Logits& reference, const Logits& candidate);

// WᵀW for a head weight W [out, in] (row-major), accumulated in double over row blocks and
// returned as float [in, in].
std::vector<float> head_gram(std::span<const float> weight, int64_t out_features, int64_t in_features);

// Σ dᵀ G d over the rows of d = candidate − reference ([rows, width] each); mse divides by
// rows · vocab like the logits path.
OutputError compare_hidden(const Hidden& reference, const Hidden& candidate, std::span<const float> gram,
                           int64_t vocab);

}  // namespace vlq::quant
