#include "vlq/eval/nll_eval.hpp"

#include <cmath>

#include "vlq/core/error.hpp"
#include "vlq/core/json.hpp"
#include "vlq/core/progress.hpp"
#include "vlq/eval/batch_inputs.hpp"

namespace vlq::eval {

double SampleScore::perplexity() const { return std::exp(mean_nll()); }

std::vector<int64_t> NllAccumulator::labels_for(const data::Batch& batch) const {
  if (weighting_ == Weighting::kSeedCompat) return batch.input_ids;  // the seed's labels
  if (batch.labels.empty()) fail("batch: labels are required for the token-mean eval");
  return batch.labels;
}

void NllAccumulator::add(const data::Batch& batch, const model::TokenLoss& loss) {
  const int64_t B = batch.batch_size, L = batch.seq_len;
  if (loss.batch_size != B || loss.seq_len != L)
    fail("eval: token loss shape differs from the batch");
  std::vector<SampleScore> rows(static_cast<size_t>(B));
  int64_t batch_targets = 0;
  double batch_nll = 0.0;
  for (int64_t b = 0; b < B; ++b) {
    SampleScore& s = rows[size_t(b)];
    s.sample_index = batch.sample_index.size() == size_t(B) ? batch.sample_index[size_t(b)] : -1;
    for (int64_t t = 0; t < L; ++t) {
      const size_t at = size_t(b * L + t);
      if (!loss.scored[at]) continue;
      s.nll_sum += loss.nll[at];
      ++s.tokens;
    }
    batch_targets += s.tokens;
    batch_nll += s.nll_sum;
  }
  if (weighting_ == Weighting::kTokenMean) {
    nll_sum_ += batch_nll;
    denominator_ += batch_targets;
  } else {
    // HF's per-batch mean loss (over all B·(L−1) shifted targets) × attention_mask.sum().
    int64_t mask_sum = 0;
    for (int64_t m : batch.attention_mask) mask_sum += m;
    if (batch_targets > 0) nll_sum_ += batch_nll / double(batch_targets) * double(mask_sum);
    denominator_ += mask_sum;
  }
  ++batches_;
  for (auto& s : rows) samples_.push_back(s);
}

EvalResult NllAccumulator::result() const {
  EvalResult r;
  r.weighting = weighting_;
  r.tokens = denominator_;
  r.batches = batches_;
  r.samples = samples_;
  r.mean_nll = denominator_ > 0 ? nll_sum_ / double(denominator_) : 0.0;
  r.score = -r.mean_nll;
  r.perplexity = std::exp(r.mean_nll);
  return r;
}

EvalResult evaluate_stream(const model::Qwen25VL& model,
                           const std::function<bool(data::Batch&)>& next,
                           const EvalOptions& options) {
  NllAccumulator acc(options.weighting);
  data::Batch batch;
  int64_t done = 0;
  while (next(batch)) {
    const std::vector<int64_t> labels = acc.labels_for(batch);
    const model::TokenLoss loss = model.token_loss(model_inputs(batch), labels, options.interceptor);
    acc.add(batch, loss);
    if (options.on_batch) options.on_batch(++done);
  }
  return acc.result();
}

EvalResult evaluate(const model::Qwen25VL& model, std::span<const data::Batch> batches,
                    const EvalOptions& options) {
  size_t i = 0;
  return evaluate_stream(
      model,
      [&](data::Batch& out) {
        if (i == batches.size()) return false;
        out = batches[i++];
        return true;
      },
      options);
}

EvalResult evaluate_loader(const model::Qwen25VL& model, const data::Loader& loader, EvalOptions options,
                           bool show_progress) {
  const auto plan = loader.batch_plan(0);
  Progress progress("eval", static_cast<int64_t>(plan.size()), show_progress);
  options.on_batch = [&](int64_t done) { progress.set(done); };
  size_t next = 0;
  EvalResult result = evaluate_stream(
      model,
      [&](data::Batch& batch) {
        if (next == plan.size()) return false;
        batch = loader.collate(plan[next++]);
        return true;
      },
      options);
  progress.finish();
  return result;
}

std::string samples_jsonl(const EvalResult& result) {
  std::string out;
  for (const auto& s : result.samples) {
    Json j = {{"sample_index", s.sample_index},
              {"nll_sum", s.nll_sum},
              {"tokens", s.tokens},
              {"mean_nll", s.mean_nll()},
              {"perplexity", s.perplexity()}};
    out += j.dump() + "\n";
  }
  return out;
}

}  // namespace vlq::eval
