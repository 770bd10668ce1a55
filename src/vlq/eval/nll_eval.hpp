#pragma once
// The eval metric: negative mean token NLL (higher is better) over every predicted token of the
// whole eval set — Σ NLL / Σ tokens, not a mean of batch means — where logits at t predict
// labels at t+1 and labels == -100 are not predicted (HF ForCausalLMLoss's shift). Per-sample
// NLL sums, token counts and perplexities come along.
//
// Weighting::kSeedCompat reproduces the seed project's number for comparison only: labels =
// input_ids (padding included, so pad→pad predictions count), each batch's HF mean loss over its
// B·(L−1) targets is weighted by attention_mask.sum() of the batch, and the weighted sum is
// divided by the total mask sum. That mixes pad predictions into the metric and weights batches
// by real tokens while averaging over all targets; kTokenMean is the honest metric.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "vlq/data/batch.hpp"
#include "vlq/data/loader.hpp"
#include "vlq/model/linear_hooks.hpp"
#include "vlq/model/qwen2_5_vl.hpp"

namespace vlq::eval {

enum class Weighting { kTokenMean, kSeedCompat };

struct SampleScore {
  int64_t sample_index = -1;  // data::Batch::sample_index of the row (-1 if absent)
  double nll_sum = 0.0;
  int64_t tokens = 0;
  double mean_nll() const { return tokens > 0 ? nll_sum / double(tokens) : 0.0; }
  double perplexity() const;
};

struct EvalResult {
  Weighting weighting = Weighting::kTokenMean;
  double score = 0.0;       // −mean NLL under `weighting` (higher is better)
  double mean_nll = 0.0;    // −score
  double perplexity = 0.0;  // exp(mean_nll)
  int64_t tokens = 0;       // predicted tokens (kTokenMean) / Σ attention_mask (kSeedCompat)
  int64_t batches = 0;
  std::vector<SampleScore> samples;  // in the order rows were seen
};

// Accumulates batches one at a time (so eval can stream) and in double.
class NllAccumulator {
 public:
  explicit NllAccumulator(Weighting weighting = Weighting::kTokenMean) : weighting_(weighting) {}
  // Labels the model must be asked to predict for `batch` under this weighting.
  std::vector<int64_t> labels_for(const data::Batch& batch) const;
  // `loss` is the model's TokenLoss for `batch` with labels_for(batch).
  void add(const data::Batch& batch, const model::TokenLoss& loss);
  EvalResult result() const;

 private:
  Weighting weighting_;
  double nll_sum_ = 0.0;     // kTokenMean: Σ NLL; kSeedCompat: Σ batch_mean · mask_sum
  int64_t denominator_ = 0;  // kTokenMean: Σ tokens; kSeedCompat: Σ mask_sum
  int64_t batches_ = 0;
  std::vector<SampleScore> samples_;
};

struct EvalOptions {
  Weighting weighting = Weighting::kTokenMean;
  model::LinearInterceptor* interceptor = nullptr;
  std::function<void(int64_t batches_done)> on_batch;  // progress
};

EvalResult evaluate(const model::Qwen25VL& model, std::span<const data::Batch> batches,
                    const EvalOptions& options = {});

// Streaming form: `next` fills the next batch and returns false when done.
EvalResult evaluate_stream(const model::Qwen25VL& model,
                           const std::function<bool(data::Batch&)>& next,
                           const EvalOptions& options = {});

// Every batch of `loader` in its epoch-0 order, collated one at a time (what `vlq eval` and the
// demo score), with a progress line on stderr when `show_progress`.
EvalResult evaluate_loader(const model::Qwen25VL& model, const data::Loader& loader, EvalOptions options,
                           bool show_progress);

// One JSON object per sample line: {"sample_index", "nll_sum", "tokens", "mean_nll", "perplexity"}.
std::string samples_jsonl(const EvalResult& result);

}  // namespace vlq::eval
