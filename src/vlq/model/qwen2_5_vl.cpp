#include "vlq/model/qwen2_5_vl.hpp"

#include <cmath>
#include <optional>
#include <string>

#include "vlq/core/error.hpp"
#include "vlq/model/kernels.hpp"
#include "vlq/model/language_model.hpp"
#include "vlq/model/log_sum_exp.hpp"
#include "vlq/model/vision_tower.hpp"

namespace vlq::model {

struct Qwen25VL::Impl {
  ModelConfig config;
  std::unique_ptr<Checkpoint> checkpoint;  // heap: the towers keep a pointer to it
  std::optional<LanguageModel> language;
  std::optional<VisionTower> vision;

  // The stream entering layer 0: token embeddings with image features spliced in.
  std::vector<float> embedded(const ModelInputs& in, LinearInterceptor* hooks) const;
  // Runs decoder layers [stream_layer, end_layer) over `hidden` in place.
  void run_layers(const ModelInputs& in, std::span<float> hidden, int64_t stream_layer, int64_t end_layer,
                  LinearInterceptor* hooks) const;
  // Final-normed hidden [B·L, H]: from the inputs, or resumed from a float stream.
  std::vector<float> hidden_states(const ModelInputs& in, LinearInterceptor* hooks,
                                   const ResidualStream* from) const;
};

namespace {

void check_inputs(const ModelInputs& in, const ModelConfig& config) {
  if (in.batch_size <= 0 || in.seq_len <= 0)
    fail("model inputs: batch_size and seq_len must be positive, found " +
         std::to_string(in.batch_size) + " x " + std::to_string(in.seq_len));
  const size_t n = static_cast<size_t>(in.batch_size * in.seq_len);
  if (in.input_ids.size() != n)
    fail("input_ids: " + std::to_string(in.input_ids.size()) + " values, expected B·L = " + std::to_string(n));
  if (!in.attention_mask.empty() && in.attention_mask.size() != n)
    fail("attention_mask: " + std::to_string(in.attention_mask.size()) + " values, expected B·L = " +
         std::to_string(n));
  for (int64_t m : in.attention_mask)
    if (m != 0 && m != 1) fail("attention_mask: values must be 0 or 1, found " + std::to_string(m));
  if (!in.position_ids.empty() && in.position_ids.size() != 3 * n)
    fail("position_ids: " + std::to_string(in.position_ids.size()) + " values, expected 3·B·L = " +
         std::to_string(3 * n));
  if (!in.image_features.empty() && !in.pixel_values.empty())
    fail("model inputs: give pixel_values or image_features, not both");
  if (!in.image_features.empty() && in.image_features.size() % size_t(config.text.hidden_size) != 0)
    fail("image_features: size " + std::to_string(in.image_features.size()) +
         " is not a multiple of hidden_size " + std::to_string(config.text.hidden_size));
}

std::vector<uint8_t> row_flags(const ModelInputs& in) {
  std::vector<uint8_t> row_is_real(in.attention_mask.size());
  for (size_t i = 0; i < in.attention_mask.size(); ++i) row_is_real[i] = in.attention_mask[i] != 0;
  return row_is_real;  // empty = every row real
}

}  // namespace

std::vector<int64_t> text_position_ids(int64_t batch_size, int64_t seq_len,
                                       std::span<const int64_t> attention_mask) {
  const size_t n = static_cast<size_t>(batch_size * seq_len);
  std::vector<int64_t> pos(3 * n);
  for (int64_t b = 0; b < batch_size; ++b) {
    int64_t running = 0;
    for (int64_t t = 0; t < seq_len; ++t) {
      const size_t i = static_cast<size_t>(b * seq_len + t);
      const bool real = attention_mask.empty() || attention_mask[i] != 0;
      // HF 4.5x: cumsum(mask) − 1 on real tokens, 1 on padding.
      const int64_t p = real ? running++ : 1;
      for (size_t axis = 0; axis < 3; ++axis) pos[axis * n + i] = p;
    }
  }
  return pos;
}

std::vector<float> Qwen25VL::Impl::embedded(const ModelInputs& in, LinearInterceptor* hooks) const {
  check_inputs(in, config);
  const int64_t R = in.batch_size * in.seq_len, H = config.text.hidden_size;
  std::vector<float> hidden(static_cast<size_t>(R * H));
  language->embed(in.input_ids, hidden);

  // Image features replace the embeddings of <|image_pad|> tokens in batch-major order
  // (HF masked_scatter); the counts must agree exactly.
  int64_t image_tokens = 0;
  for (int64_t id : in.input_ids) image_tokens += id == config.text.image_token_id;
  std::vector<float> encoded;
  std::span<const float> features = in.image_features;
  if (!in.pixel_values.empty()) {
    if (!vision) fail(checkpoint->dir(), "pixel_values given but the checkpoint has no vision tower");
    encoded = vision->encode(in.pixel_values, in.image_grid_thw, hooks);
    features = encoded;
  } else if (!in.image_grid_thw.empty() && in.image_features.empty()) {
    fail("image_grid_thw given without pixel_values");
  }
  const int64_t feature_rows = static_cast<int64_t>(features.size()) / H;
  if (feature_rows != image_tokens)
    fail("input_ids: " + std::to_string(image_tokens) + " <|image_pad|> tokens (id " +
         std::to_string(config.text.image_token_id) + ") but the images give " +
         std::to_string(feature_rows) + " feature rows");
  if (image_tokens > 0 && in.position_ids.empty())
    fail("position_ids: required with images (M-RoPE ids from get_rope_index); absent");
  int64_t next = 0;
  for (int64_t r = 0; r < R && next < feature_rows; ++r) {
    if (in.input_ids[size_t(r)] != config.text.image_token_id) continue;
    std::copy_n(features.begin() + next * H, H, hidden.begin() + r * H);
    ++next;
  }
  return hidden;
}

void Qwen25VL::Impl::run_layers(const ModelInputs& in, std::span<float> hidden, int64_t stream_layer,
                                int64_t end_layer, LinearInterceptor* hooks) const {
  check_inputs(in, config);
  std::vector<int64_t> computed_positions;
  std::span<const int64_t> positions = in.position_ids;
  if (positions.empty()) {
    computed_positions = text_position_ids(in.batch_size, in.seq_len, in.attention_mask);
    positions = computed_positions;
  }
  const std::vector<uint8_t> row_is_real = row_flags(in);
  language->run_layers(hidden, in.batch_size, in.seq_len, positions, row_is_real, hooks, stream_layer, end_layer);
}

std::vector<float> Qwen25VL::Impl::hidden_states(const ModelInputs& in, LinearInterceptor* hooks,
                                                 const ResidualStream* from) const {
  const int64_t R = in.batch_size * in.seq_len, H = config.text.hidden_size;
  std::vector<float> hidden;
  if (from != nullptr) {
    if (from->values.size() != static_cast<size_t>(R * H))
      fail("residual stream: " + std::to_string(from->values.size()) + " values, expected B·L·hidden = " +
           std::to_string(R * H) + " (a stream of other inputs?)");
    hidden = from->values;
  } else {
    hidden = embedded(in, hooks);
  }
  run_layers(in, hidden, from != nullptr ? from->layer : 0, config.text.num_hidden_layers, hooks);
  language->final_norm(hidden, R);
  return hidden;
}

Qwen25VL::Qwen25VL(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Qwen25VL::Qwen25VL(Qwen25VL&&) noexcept = default;
Qwen25VL& Qwen25VL::operator=(Qwen25VL&&) noexcept = default;
Qwen25VL::~Qwen25VL() = default;

Qwen25VL Qwen25VL::load(const std::filesystem::path& dir, const LoadOptions& options) {
  kernels::set_num_threads(options.threads);
  auto impl = std::make_unique<Impl>();
  impl->config = load_config(dir);
  impl->checkpoint = std::make_unique<Checkpoint>(Checkpoint::open(dir));
  impl->language.emplace(*impl->checkpoint, impl->config.text, options.cache_f32_weights);
  // The vision tower is optional: text-only checkpoints (no visual.* tensors) still load.
  if (impl->config.vision.depth > 0 && impl->checkpoint->contains("visual.patch_embed.proj.weight"))
    impl->vision.emplace(*impl->checkpoint, impl->config.vision, options.cache_f32_weights);
  return Qwen25VL(std::move(impl));
}

const ModelConfig& Qwen25VL::config() const { return impl_->config; }
const Checkpoint& Qwen25VL::checkpoint() const { return *impl_->checkpoint; }

std::vector<float> Qwen25VL::final_hidden_states(const ModelInputs& inputs, LinearInterceptor* interceptor,
                                                 const ResidualStream* from) const {
  return impl_->hidden_states(inputs, interceptor, from);
}

ResidualStream Qwen25VL::residual_stream(const ModelInputs& inputs, int64_t layer) const {
  ResidualStream stream{0, impl_->embedded(inputs, nullptr)};
  advance(inputs, stream, layer);
  return stream;
}

void Qwen25VL::advance(const ModelInputs& inputs, ResidualStream& stream, int64_t layer) const {
  if (layer < stream.layer || layer > impl_->config.text.num_hidden_layers)
    fail("residual stream: cannot go from layer " + std::to_string(stream.layer) + " to layer " +
         std::to_string(layer) + " (of " + std::to_string(impl_->config.text.num_hidden_layers) + ")");
  impl_->run_layers(inputs, stream.values, stream.layer, layer, nullptr);
  stream.layer = layer;
}

std::vector<float> Qwen25VL::forward(const ModelInputs& inputs, LinearInterceptor* interceptor) const {
  check_inputs(inputs, impl_->config);
  std::vector<float> logits(static_cast<size_t>(inputs.batch_size * inputs.seq_len * impl_->config.text.vocab_size));
  forward_into(inputs, logits, interceptor);
  return logits;
}

void Qwen25VL::forward_into(const ModelInputs& inputs, std::span<float> logits,
                            LinearInterceptor* interceptor) const {
  check_inputs(inputs, impl_->config);
  const int64_t R = inputs.batch_size * inputs.seq_len;
  if (logits.size() != static_cast<size_t>(R * impl_->config.text.vocab_size))
    fail("forward: logits buffer has " + std::to_string(logits.size()) + " floats, expected B·L·vocab = " +
         std::to_string(R * impl_->config.text.vocab_size));
  std::vector<float> hidden = impl_->hidden_states(inputs, interceptor, nullptr);
  impl_->language->lm_head(hidden, R, row_flags(inputs), logits, interceptor);
}

TokenLoss Qwen25VL::token_loss(const ModelInputs& inputs, std::span<const int64_t> labels,
                               LinearInterceptor* interceptor, const ResidualStream* from) const {
  const int64_t B = inputs.batch_size, L = inputs.seq_len, H = impl_->config.text.hidden_size;
  const int64_t V = impl_->config.text.vocab_size;
  if (labels.size() != static_cast<size_t>(B * L))
    fail("labels: " + std::to_string(labels.size()) + " values, expected B·L = " + std::to_string(B * L));
  TokenLoss out;
  out.batch_size = B;
  out.seq_len = L;
  out.nll.assign(static_cast<size_t>(B * L), 0.0);
  out.scored.assign(static_cast<size_t>(B * L), 0);
  // Position t predicts labels[t+1]; gather the rows that predict something.
  std::vector<int64_t> rows, targets;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t + 1 < L; ++t) {
      const int64_t target = labels[size_t(b * L + t + 1)];
      if (target == -100) continue;
      if (target < 0 || target >= V)
        fail("labels: " + std::to_string(target) + " is neither -100 nor a token id in [0, " +
             std::to_string(V) + ")");
      rows.push_back(b * L + t);
      targets.push_back(target);
    }
  std::vector<float> hidden = impl_->hidden_states(inputs, interceptor, from);
  if (rows.empty()) return out;
  const int64_t S = static_cast<int64_t>(rows.size());
  std::vector<float> selected(static_cast<size_t>(S * H));
  for (int64_t i = 0; i < S; ++i)
    std::copy_n(hidden.begin() + rows[size_t(i)] * H, H, selected.begin() + i * H);
  hidden = {};
  std::vector<float> logits(static_cast<size_t>(S * V));
  impl_->language->lm_head(selected, S, {}, logits, interceptor);
  kernels::parallel_for(S, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float* z = logits.data() + i * V;
      const size_t at = static_cast<size_t>(rows[size_t(i)]);
      out.nll[at] = log_sum_exp(std::span<const float>(z, static_cast<size_t>(V))) - double(z[targets[size_t(i)]]);
      out.scored[at] = 1;
    }
  });
  return out;
}

std::vector<LinearOp> Qwen25VL::linear_ops() const {
  std::vector<LinearOp> ops;
  if (impl_->vision) ops = impl_->vision->linear_ops();
  for (auto& op : impl_->language->linear_ops()) ops.push_back(std::move(op));
  return ops;
}

}  // namespace vlq::model
