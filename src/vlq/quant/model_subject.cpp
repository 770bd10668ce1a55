#include "vlq/quant/model_subject.hpp"

#include <algorithm>
#include <string>

#include "vlq/core/error.hpp"
#include "vlq/core/progress.hpp"

namespace vlq::quant {

namespace {

model::ModelInputs inputs_of(const data::Batch& b) {
  model::ModelInputs in;
  in.batch_size = b.batch_size;
  in.seq_len = b.seq_len;
  in.input_ids = b.input_ids;
  in.attention_mask = b.attention_mask;
  in.position_ids = b.position_ids;
  in.pixel_values = b.pixel_values;
  in.image_grid_thw = b.image_grid_thw;
  return in;
}

}  // namespace

ModelSubject::ModelSubject(const model::Qwen25VL& model, std::vector<data::Batch> calib,
                           std::vector<data::Batch> eval, bool show_progress)
    : model_(model), calib_(std::move(calib)), eval_(std::move(eval)), progress_(show_progress) {
  if (calib_.empty()) fail("calibration set: no batches");
  if (eval_.empty()) fail("eval set: no batches");
}

std::vector<model::LinearOp> ModelSubject::ops() const { return model_.linear_ops(); }

void ModelSubject::calibrate(model::LinearInterceptor& interceptor) {
  // token_loss runs every op, lm_head included (on scored rows only), in one pass.
  Progress progress("calibration batches", static_cast<int64_t>(calib_.size()), progress_);
  for (const auto& b : calib_) {
    model_.token_loss(inputs_of(b), b.labels, &interceptor);
    progress.advance();
  }
  progress.finish();
}

double ModelSubject::evaluate(model::LinearInterceptor* interceptor) { return evaluate_batches(interceptor, -1); }

double ModelSubject::evaluate_changing(const model::LinearOp& changed, model::LinearInterceptor& interceptor) {
  return evaluate_batches(&interceptor, resume_layer(changed));
}

int64_t ModelSubject::resume_layer(const model::LinearOp& changed) const {
  if (changed.tower != model::Tower::kLanguage) return -1;
  // lm_head (layer −1) changes nothing before the final norm.
  return changed.layer >= 0 ? changed.layer : model_.config().text.num_hidden_layers;
}

const model::ResidualStream& ModelSubject::stream_at(std::vector<model::ResidualStream>& streams, size_t index,
                                                     const data::Batch& batch, int64_t layer) {
  if (streams.size() <= index) streams.resize(index + 1, model::ResidualStream{-1, {}});
  model::ResidualStream& s = streams[index];
  if (s.layer < 0 || s.layer > layer)
    s = model_.residual_stream(inputs_of(batch), layer);
  else
    model_.advance(inputs_of(batch), s, layer);
  return s;
}

double ModelSubject::evaluate_batches(model::LinearInterceptor* interceptor, int64_t resume_layer) {
  double nll = 0.0;
  int64_t tokens = 0;
  for (size_t batch = 0; batch < eval_.size(); ++batch) {
    const data::Batch& b = eval_[batch];
    const model::ResidualStream* from =
        resume_layer >= 0 ? &stream_at(eval_streams_, batch, b, resume_layer) : nullptr;
    model::TokenLoss loss = model_.token_loss(inputs_of(b), b.labels, interceptor, from);
    for (size_t i = 0; i < loss.nll.size(); ++i)
      if (loss.scored[i]) {
        nll += loss.nll[i];
        ++tokens;
      }
  }
  if (tokens == 0) fail("eval set: no scored tokens (every label is -100)");
  return -nll / static_cast<double>(tokens);
}

Logits ModelSubject::output_logits(model::LinearInterceptor* interceptor, int batches) {
  Logits out;
  const int n = std::min<int>(batches, static_cast<int>(calib_.size()));
  for (int i = 0; i < n; ++i) {
    const data::Batch& b = calib_[i];
    std::vector<float> logits = model_.forward(inputs_of(b), interceptor);
    const int64_t positions = b.batch_size * b.seq_len;
    const int64_t vocab = static_cast<int64_t>(logits.size()) / std::max<int64_t>(positions, 1);
    out.vocab = vocab;
    for (int64_t p = 0; p < positions; ++p) {
      if (!b.attention_mask.empty() && b.attention_mask[p] == 0) continue;
      out.values.insert(out.values.end(), logits.begin() + p * vocab, logits.begin() + (p + 1) * vocab);
      ++out.rows;
    }
  }
  return out;
}

std::optional<Hidden> ModelSubject::output_hidden(model::LinearInterceptor* interceptor, int batches) {
  return hidden_of_batches(interceptor, batches, -1);
}

std::optional<Hidden> ModelSubject::output_hidden_changing(const model::LinearOp& changed,
                                                           model::LinearInterceptor& interceptor, int batches) {
  return hidden_of_batches(&interceptor, batches, resume_layer(changed));
}

Hidden ModelSubject::hidden_of_batches(model::LinearInterceptor* interceptor, int batches, int64_t resume_layer) {
  Hidden out;
  out.width = model_.config().text.hidden_size;
  const int n = std::min<int>(batches, static_cast<int>(calib_.size()));
  for (int i = 0; i < n; ++i) {
    const data::Batch& b = calib_[i];
    const model::ResidualStream* from =
        resume_layer >= 0 ? &stream_at(calib_streams_, static_cast<size_t>(i), b, resume_layer) : nullptr;
    std::vector<float> hidden = model_.final_hidden_states(inputs_of(b), interceptor, from);
    const int64_t positions = b.batch_size * b.seq_len;
    for (int64_t p = 0; p < positions; ++p) {
      if (!b.attention_mask.empty() && b.attention_mask[p] == 0) continue;
      out.values.insert(out.values.end(), hidden.begin() + p * out.width, hidden.begin() + (p + 1) * out.width);
      ++out.rows;
    }
  }
  return out;
}

std::optional<OutputHead> ModelSubject::output_head() {
  const model::ModelConfig& config = model_.config();
  OutputHead head;
  head.op_name = "lm_head";
  head.in_features = config.text.hidden_size;
  head.out_features = config.text.vocab_size;
  // HF ties lm_head to the embedding and then ignores any stored lm_head.weight.
  head.weight = model_.checkpoint().load_f32(config.text.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight");
  return head;
}

}  // namespace vlq::quant
