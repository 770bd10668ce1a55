#include "vlq/model/language_model.hpp"

#include <cmath>

#include "vlq/core/error.hpp"
#include "vlq/model/kernels.hpp"
#include "vlq/model/linear.hpp"
#include "vlq/model/mrope.hpp"

namespace vlq::model {

namespace {

enum OpKind { kQ, kK, kV, kO, kGate, kUp, kDown, kOpsPerLayer };
constexpr const char* kKindNames[] = {"q_proj", "k_proj", "v_proj", "o_proj",
                                      "gate_proj", "up_proj", "down_proj"};

std::string layer_prefix(int64_t layer) { return "model.layers." + std::to_string(layer) + "."; }

std::string op_module(int64_t layer, int kind) {
  return layer_prefix(layer) + (kind <= kO ? "self_attn." : "mlp.") + kKindNames[kind];
}

}  // namespace

struct LanguageModel::LayerWeights {
  // Norm weights and biases are tiny: widened once at load.
  std::vector<float> input_norm, post_norm;
  std::vector<float> bias[kOpsPerLayer];  // only q, k, v have one
  // Projection weights: views of the checkpoint (read in place or widened tile by tile in the
  // matmul), or of `cached` when cache_f32_weights widened them at load.
  WeightMatrix weight[kOpsPerLayer];
  std::vector<float> cached[kOpsPerLayer];
};

LanguageModel::LanguageModel(const Checkpoint& checkpoint, const TextConfig& config,
                             bool cache_f32_weights)
    : checkpoint_(&checkpoint), config_(config) {
  const int64_t H = config.hidden_size, I = config.intermediate_size, D = config.head_dim;
  const int64_t q_out = config.num_attention_heads * D, kv_out = config.num_key_value_heads * D;
  const int64_t in_of[kOpsPerLayer] = {H, H, H, q_out, H, H, I};
  const int64_t out_of[kOpsPerLayer] = {q_out, kv_out, kv_out, H, I, I, H};
  const int64_t V = config.vocab_size;

  checkpoint.expect_shape("model.embed_tokens.weight", std::vector<int64_t>{V, H});
  checkpoint.expect_shape("model.norm.weight", std::vector<int64_t>{H});
  for (int64_t l = 0; l < config.num_hidden_layers; ++l) {
    const std::string p = layer_prefix(l);
    checkpoint.expect_shape(p + "input_layernorm.weight", std::vector<int64_t>{H});
    checkpoint.expect_shape(p + "post_attention_layernorm.weight", std::vector<int64_t>{H});
    for (int k = 0; k < kOpsPerLayer; ++k) {
      LinearOp op{op_module(l, k), Tower::kLanguage, static_cast<int>(l), kKindNames[k],
                  in_of[k], out_of[k], k <= kV};
      checkpoint.expect_shape(op.name + ".weight", std::vector<int64_t>{op.out_features, op.in_features});
      if (op.has_bias) checkpoint.expect_shape(op.name + ".bias", std::vector<int64_t>{op.out_features});
      ops_.push_back(std::move(op));
    }
  }
  // Tied: HF points lm_head at the embedding and ignores any stored lm_head.weight.
  lm_head_name_ = config.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight";
  checkpoint.expect_shape(lm_head_name_, std::vector<int64_t>{V, H});
  ops_.push_back(LinearOp{"lm_head", Tower::kLanguage, -1, "lm_head", H, V, false});

  final_norm_ = checkpoint.load_f32("model.norm.weight");
  layers_.resize(static_cast<size_t>(config.num_hidden_layers));
  for (int64_t l = 0; l < config.num_hidden_layers; ++l) {
    LayerWeights& w = layers_[static_cast<size_t>(l)];
    const std::string p = layer_prefix(l);
    w.input_norm = checkpoint.load_f32(p + "input_layernorm.weight");
    w.post_norm = checkpoint.load_f32(p + "post_attention_layernorm.weight");
    for (int k = 0; k < kOpsPerLayer; ++k) {
      const LinearOp& op = ops_[static_cast<size_t>(l * kOpsPerLayer + k)];
      if (op.has_bias) w.bias[k] = checkpoint.load_f32(op.name + ".bias");
      w.weight[k] = cached_or_mapped(op.name + ".weight", cache_f32_weights, w.cached[k]);
    }
  }
  lm_head_ = cached_or_mapped(lm_head_name_, cache_f32_weights, cached_lm_head_);
}

LanguageModel::LanguageModel(LanguageModel&&) noexcept = default;
LanguageModel::~LanguageModel() = default;

WeightMatrix LanguageModel::cached_or_mapped(const std::string& name, bool cache,
                                             std::vector<float>& storage) const {
  const WeightMatrix mapped = WeightMatrix::of(checkpoint_->tensor(name));
  // fp32 weights read in place need no cache: caching would only double them.
  if (!cache || !mapped.f32().empty()) return mapped;
  const std::span<const float> widened = mapped.to_f32(storage);
  return WeightMatrix(widened, mapped.rows(), mapped.cols());
}

void LanguageModel::embed(std::span<const int64_t> ids, std::span<float> out) const {
  const int64_t H = config_.hidden_size;
  if (out.size() != ids.size() * static_cast<size_t>(H)) fail("LanguageModel::embed: output size mismatch");
  const TensorInfo& table = checkpoint_->tensor("model.embed_tokens.weight");
  const size_t row_bytes = static_cast<size_t>(H) * dtype_size(table.dtype);
  for (size_t i = 0; i < ids.size(); ++i) {
    const int64_t id = ids[i];
    if (id < 0 || id >= config_.vocab_size)
      fail("input_ids: token id " + std::to_string(id) + " is outside the vocabulary [0, " +
           std::to_string(config_.vocab_size) + ")");
    convert_to_f32(table.dtype, table.bytes.subspan(static_cast<size_t>(id) * row_bytes, row_bytes),
                   out.subspan(i * static_cast<size_t>(H), static_cast<size_t>(H)));
  }
}

void LanguageModel::run_layers(std::span<float> hidden, int64_t batch_size, int64_t seq_len,
                               std::span<const int64_t> position_ids,
                               std::span<const uint8_t> row_is_real, LinearInterceptor* interceptor,
                               int64_t first_layer, int64_t end_layer) const {
  if (first_layer < 0 || first_layer > end_layer || end_layer > config_.num_hidden_layers)
    fail("LanguageModel::run_layers: layers [" + std::to_string(first_layer) + ", " +
         std::to_string(end_layer) + ") outside [0, " + std::to_string(config_.num_hidden_layers) + "]");
  const int64_t R = batch_size * seq_len;
  if (hidden.size() != static_cast<size_t>(R * config_.hidden_size))
    fail("LanguageModel::run_layers: hidden has " + std::to_string(hidden.size()) + " values, expected " +
         std::to_string(R * config_.hidden_size));
  if (first_layer == end_layer) return;
  const int64_t H = config_.hidden_size, I = config_.intermediate_size, D = config_.head_dim;
  const int64_t NH = config_.num_attention_heads, KVH = config_.num_key_value_heads;
  const float eps = static_cast<float>(config_.rms_norm_eps);
  const RopeTables rope = mrope_tables(position_ids, R, D, config_.rope_theta, config_.mrope_section);

  std::vector<float> normed(size_t(R * H)), input_copy, q(size_t(R * NH * D)), k(size_t(R * KVH * D)),
      v(size_t(R * KVH * D)), attn(size_t(R * NH * D)), delta(size_t(R * H)), gate(size_t(R * I)),
      up(size_t(R * I));
  // With an interceptor every op gets its own copy of a shared input (q/k/v share one, gate/up
  // another), so an op that fake-quantizes its input in place cannot leak into its siblings.
  auto input_for = [&](std::span<float> shared) -> std::span<float> {
    if (interceptor == nullptr) return shared;
    input_copy.assign(shared.begin(), shared.end());
    return input_copy;
  };
  auto op_at = [&](int64_t layer, int kind) -> const LinearOp& {
    return ops_[static_cast<size_t>(layer * kOpsPerLayer + kind)];
  };
  for (int64_t l = first_layer; l < end_layer; ++l) {
    const LayerWeights& w = layers_[static_cast<size_t>(l)];
    // --- self attention
    kernels::rms_norm(hidden, R, H, w.input_norm, eps, normed);
    run_linear(op_at(l, kQ), input_for(normed), R, w.weight[kQ], w.bias[kQ], q, interceptor, row_is_real);
    run_linear(op_at(l, kK), input_for(normed), R, w.weight[kK], w.bias[kK], k, interceptor, row_is_real);
    run_linear(op_at(l, kV), input_for(normed), R, w.weight[kV], w.bias[kV], v, interceptor, row_is_real);
    kernels::apply_rope(q, R, NH, D, rope.cos, rope.sin);
    kernels::apply_rope(k, R, KVH, D, rope.cos, rope.sin);
    const float scale = 1.0f / std::sqrt(static_cast<float>(D));
    for (int64_t b = 0; b < batch_size; ++b) {
      const size_t row0 = static_cast<size_t>(b * seq_len), L = static_cast<size_t>(seq_len);
      kernels::AttentionMask mask{true, row_is_real.empty() ? std::span<const uint8_t>{}
                                                            : row_is_real.subspan(row0, L)};
      kernels::attention(std::span<const float>(q).subspan(row0 * NH * D, L * NH * D),
                         std::span<const float>(k).subspan(row0 * KVH * D, L * KVH * D),
                         std::span<const float>(v).subspan(row0 * KVH * D, L * KVH * D), seq_len,
                         seq_len, NH, KVH, D, scale, mask,
                         std::span<float>(attn).subspan(row0 * NH * D, L * NH * D));
    }
    run_linear(op_at(l, kO), attn, R, w.weight[kO], {}, delta, interceptor, row_is_real);
    for (size_t i = 0; i < hidden.size(); ++i) hidden[i] += delta[i];
    // --- SwiGLU MLP
    kernels::rms_norm(hidden, R, H, w.post_norm, eps, normed);
    run_linear(op_at(l, kGate), input_for(normed), R, w.weight[kGate], {}, gate, interceptor, row_is_real);
    run_linear(op_at(l, kUp), input_for(normed), R, w.weight[kUp], {}, up, interceptor, row_is_real);
    kernels::silu_mul_inplace(gate, up);
    run_linear(op_at(l, kDown), gate, R, w.weight[kDown], {}, delta, interceptor, row_is_real);
    for (size_t i = 0; i < hidden.size(); ++i) hidden[i] += delta[i];
  }
}

void LanguageModel::final_norm(std::span<float> hidden, int64_t rows) const {
  kernels::rms_norm(hidden, rows, config_.hidden_size, final_norm_, static_cast<float>(config_.rms_norm_eps),
                    hidden);
}

void LanguageModel::lm_head(std::span<float> hidden, int64_t rows,
                            std::span<const uint8_t> row_is_real, std::span<float> logits,
                            LinearInterceptor* interceptor) const {
  run_linear(ops_.back(), hidden, rows, lm_head_, {}, logits, interceptor, row_is_real);
}

std::vector<LinearOp> LanguageModel::linear_ops() const { return ops_; }

}  // namespace vlq::model
