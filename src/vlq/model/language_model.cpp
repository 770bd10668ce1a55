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
  std::vector<float> input_norm, post_norm;
  std::vector<float> weight[kOpsPerLayer];
  std::vector<float> bias[kOpsPerLayer];  // only q, k, v have one
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

  if (cache_f32_weights) {
    for (int64_t l = 0; l < config.num_hidden_layers; ++l) {
      cache_.push_back(std::make_unique<LayerWeights>());
      load_layer(l, *cache_.back());
    }
    cached_lm_head_ = std::make_unique<std::vector<float>>();
    read_weight(lm_head_name_, *cached_lm_head_);
  }
}

LanguageModel::LanguageModel(LanguageModel&&) noexcept = default;
LanguageModel::~LanguageModel() = default;

void LanguageModel::read_weight(const std::string& name, std::vector<float>& out) const {
  const TensorInfo& info = checkpoint_->tensor(name);
  out.resize(static_cast<size_t>(info.numel()));
  // Widen in parallel slices: converting a 3B layer is memory-bound and worth both cores.
  const size_t elem = dtype_size(info.dtype);
  kernels::parallel_for(static_cast<int64_t>(out.size() / 65536 + 1), [&](int64_t b, int64_t e) {
    const size_t begin = std::min(out.size(), static_cast<size_t>(b) * 65536);
    const size_t end = std::min(out.size(), static_cast<size_t>(e) * 65536);
    convert_to_f32(info.dtype, info.bytes.subspan(begin * elem, (end - begin) * elem),
                   std::span<float>(out).subspan(begin, end - begin));
  });
}

void LanguageModel::load_layer(int64_t layer, LayerWeights& w) const {
  const std::string p = layer_prefix(layer);
  read_weight(p + "input_layernorm.weight", w.input_norm);
  read_weight(p + "post_attention_layernorm.weight", w.post_norm);
  for (int k = 0; k < kOpsPerLayer; ++k) {
    const LinearOp& op = ops_[static_cast<size_t>(layer * kOpsPerLayer + k)];
    read_weight(op.name + ".weight", w.weight[k]);
    if (op.has_bias) read_weight(op.name + ".bias", w.bias[k]);
  }
}

const LanguageModel::LayerWeights& LanguageModel::layer_weights(int64_t layer,
                                                                LayerWeights& scratch) const {
  if (!cache_.empty()) return *cache_[static_cast<size_t>(layer)];
  load_layer(layer, scratch);
  return scratch;
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

void LanguageModel::decode(std::span<float> hidden, int64_t batch_size, int64_t seq_len,
                           std::span<const int64_t> position_ids,
                           std::span<const uint8_t> row_is_real,
                           LinearInterceptor* interceptor) const {
  const int64_t R = batch_size * seq_len;
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
  LayerWeights scratch;
  for (int64_t l = 0; l < config_.num_hidden_layers; ++l) {
    const LayerWeights& w = layer_weights(l, scratch);
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
  std::vector<float> final_norm;
  read_weight("model.norm.weight", final_norm);
  kernels::rms_norm(hidden, R, H, final_norm, eps, hidden);
}

void LanguageModel::lm_head(std::span<float> hidden, int64_t rows,
                            std::span<const uint8_t> row_is_real, std::span<float> logits,
                            LinearInterceptor* interceptor) const {
  std::vector<float> converted;
  std::span<const float> weight;
  if (cached_lm_head_) {
    weight = *cached_lm_head_;
  } else {
    read_weight(lm_head_name_, converted);
    weight = converted;
  }
  run_linear(ops_.back(), hidden, rows, weight, {}, logits, interceptor, row_is_real);
}

std::vector<LinearOp> LanguageModel::linear_ops() const { return ops_; }

}  // namespace vlq::model
