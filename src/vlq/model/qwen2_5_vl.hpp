#pragma once
// Qwen2_5_VLForConditionalGeneration in fp32 on the CPU: the language model (embeddings, 36
// pre-norm decoder layers with GQA + M-RoPE + SwiGLU, final norm, lm_head) with image features
// from the vision tower spliced in at <|image_pad|> positions (batch-major order, like HF's
// masked_scatter). Weights stay memory-mapped in their stored dtype and are widened to fp32 one
// layer at a time (peak ≈ one layer in fp32 + activations), unless cache_f32_weights is set.
// Every Linear runs through the LinearInterceptor with its HF module name (legacy spelling).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "vlq/model/checkpoint.hpp"
#include "vlq/model/config.hpp"
#include "vlq/model/linear_hooks.hpp"

namespace vlq::model {

// Row-major views; nothing is copied. int64 like torch LongTensor.
struct ModelInputs {
  int64_t batch_size = 0;
  int64_t seq_len = 0;
  std::span<const int64_t> input_ids;       // [B, L]
  std::span<const int64_t> attention_mask;  // [B, L] 1 = real, 0 = pad; empty = all real
  // [3, B, L] M-RoPE ids (temporal, height, width). Empty: HF's text-only rule
  // (p = cumsum(mask) − 1, p = 1 on pads, same on all axes). Required when images are present.
  std::span<const int64_t> position_ids;
  std::span<const float> pixel_values;      // [N, vision.patch_dim()] or empty
  std::span<const int64_t> image_grid_thw;  // [n_images, 3] (t, h, w in patches)
  // Alternative to pixel_values: vision-tower output computed elsewhere, [n_image_tokens, hidden]
  // (e.g. HF's `model.visual` output in parity tests). Spliced the same way.
  std::span<const float> image_features;
};

struct LoadOptions {
  bool cache_f32_weights = false;  // keep widened fp32 weights (faster repeat runs, ~4 B/param)
  int threads = 0;                 // 0 = $VLQ_THREADS, else all cores (kernels::set_num_threads)
};

// What the loss needs, without materialising [B, L, V] logits.
struct TokenLoss {
  int64_t batch_size = 0;
  int64_t seq_len = 0;
  // [B, L]: at t, −log softmax(logits[b, t])[labels[b, t+1]] (double), 0 where not scored.
  std::vector<double> nll;
  // [B, L]: 1 where labels[b, t+1] != -100 (t < L−1).
  std::vector<uint8_t> scored;
};

// The float residual stream of one batch entering decoder layer `layer` (layer =
// num_hidden_layers: after the last layer, before the final norm). Sensitivity analysis scores
// one op at a time with every earlier op in float, so all the ops of a layer see the same stream
// entering it: computed once and carried forward layer by layer (Qwen25VL::advance), it spares
// re-running the model's prefix for every op.
struct ResidualStream {
  int64_t layer = 0;
  std::vector<float> values;  // [B·L, hidden]
};

class Qwen25VL {
 public:
  // `dir` holds config.json and model.safetensors (or a sharded index). Validates every tensor
  // shape against the config up front.
  static Qwen25VL load(const std::filesystem::path& dir, const LoadOptions& options = {});
  Qwen25VL(Qwen25VL&&) noexcept;
  Qwen25VL& operator=(Qwen25VL&&) noexcept;
  ~Qwen25VL();

  const ModelConfig& config() const;
  const Checkpoint& checkpoint() const;

  // Logits [B, L, vocab] (fp32).
  std::vector<float> forward(const ModelInputs& inputs,
                             LinearInterceptor* interceptor = nullptr) const;
  // The same into `logits` (B·L·vocab floats), which need not be initialised: every element is
  // written. Lets callers skip zero-filling a buffer that, for a 151936-token vocabulary, takes
  // longer to page in than a small model takes to run.
  void forward_into(const ModelInputs& inputs, std::span<float> logits,
                    LinearInterceptor* interceptor = nullptr) const;

  // Per-position next-token NLL for labels [B, L] (shifted by one as HF ForCausalLMLoss).
  // lm_head runs only on scored rows (the interceptor's lm_head calls see those rows only).
  // With `from` (the float stream of these same inputs), the model resumes at from->layer: the
  // vision tower, embeddings and earlier layers are not run, nor seen by the interceptor. Exact
  // (bit-identical to a full run) when the interceptor would have left those ops in float.
  TokenLoss token_loss(const ModelInputs& inputs, std::span<const int64_t> labels,
                       LinearInterceptor* interceptor = nullptr,
                       const ResidualStream* from = nullptr) const;

  // Hidden states after the final RMSNorm, [B, L, hidden]. `from` as for token_loss.
  std::vector<float> final_hidden_states(const ModelInputs& inputs,
                                         LinearInterceptor* interceptor = nullptr,
                                         const ResidualStream* from = nullptr) const;

  // The float stream entering decoder layer `layer` (0 = embeddings with image features spliced
  // in), computed from the inputs.
  ResidualStream residual_stream(const ModelInputs& inputs, int64_t layer) const;
  // Carries `stream` forward in float to `layer` (≥ stream.layer).
  void advance(const ModelInputs& inputs, ResidualStream& stream, int64_t layer) const;

  // Every quantizable op in execution order: vision tower ops (if the checkpoint has them), then
  // language layers (q,k,v,o,gate,up,down per layer), then lm_head.
  std::vector<LinearOp> linear_ops() const;

 private:
  struct Impl;
  explicit Qwen25VL(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// HF 4.5x text-only position ids: [3, B, L] from attention_mask (empty = all ones).
std::vector<int64_t> text_position_ids(int64_t batch_size, int64_t seq_len,
                                       std::span<const int64_t> attention_mask);

}  // namespace vlq::model
