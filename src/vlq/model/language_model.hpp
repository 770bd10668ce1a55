#pragma once
// The Qwen2.5-VL text decoder over a Checkpoint: token embedding, pre-norm decoder layers
// (GQA attention with q/k/v bias and M-RoPE, SwiGLU MLP), final RMSNorm and lm_head (tied to the
// embedding when the config says so). Projection weights stay in the memory-mapped checkpoint:
// fp32 ones are read in place, others are widened tile by tile inside each matmul (or once at
// load when caching is on); only norms and biases are widened up front.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "vlq/model/checkpoint.hpp"
#include "vlq/model/config.hpp"
#include "vlq/model/linear_hooks.hpp"
#include "vlq/model/weight_matrix.hpp"

namespace vlq::model {

class LanguageModel {
 public:
  // Validates every tensor's presence and shape against `config` (errors name the tensor).
  LanguageModel(const Checkpoint& checkpoint, const TextConfig& config, bool cache_f32_weights);
  LanguageModel(LanguageModel&&) noexcept;
  ~LanguageModel();

  // Rows of the embedding table for `ids` → out [ids.size(), hidden]. Ids outside the vocabulary
  // → vlq::Error naming the id.
  void embed(std::span<const int64_t> ids, std::span<float> out) const;

  // In place: hidden [B·L, hidden], the residual stream entering decoder layer `first_layer`,
  // → the stream entering layer `end_layer` (num_hidden_layers = after the last layer, before
  // the final norm). position_ids [3, B·L], row_is_real [B·L] (0/1 per row, empty = all real;
  // also the padding flags passed to the interceptor).
  void run_layers(std::span<float> hidden, int64_t batch_size, int64_t seq_len,
                  std::span<const int64_t> position_ids, std::span<const uint8_t> row_is_real,
                  LinearInterceptor* interceptor, int64_t first_layer, int64_t end_layer) const;
  // In place: the stream after the last layer → final-normed hidden states.
  void final_norm(std::span<float> hidden, int64_t rows) const;

  // logits [rows, vocab] = hidden [rows, hidden] · lm_headᵀ. `hidden` may be modified by the
  // interceptor.
  void lm_head(std::span<float> hidden, int64_t rows, std::span<const uint8_t> row_is_real,
               std::span<float> logits, LinearInterceptor* interceptor) const;

  // q,k,v,o,gate,up,down per layer, then lm_head.
  std::vector<LinearOp> linear_ops() const;
  const TextConfig& config() const { return config_; }

 private:
  struct LayerWeights;
  // The checkpoint tensor `name` as a matrix: in place, or widened into `storage` when caching
  // (and it is not fp32 already).
  WeightMatrix cached_or_mapped(const std::string& name, bool cache, std::vector<float>& storage) const;

  const Checkpoint* checkpoint_;
  TextConfig config_;
  std::string lm_head_name_;  // "lm_head.weight" or the tied embedding
  std::vector<LinearOp> ops_;
  std::vector<LayerWeights> layers_;
  std::vector<float> final_norm_;
  WeightMatrix lm_head_;
  std::vector<float> cached_lm_head_;
};

}  // namespace vlq::model
