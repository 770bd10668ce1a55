// `vlq eval --model DIR --data DATASET`: the eval metric (−mean token NLL, higher is better) of a
// checkpoint on an on-disk dataset written by `vlq data --out`. Prints the scalar, writes
// per-sample scores as JSONL (atomically), shows progress with ETA. All work is in vlq::eval.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "vlq/cli/commands.hpp"
#include "vlq/core/error.hpp"
#include "vlq/core/file_io.hpp"
#include "vlq/data/dataset_file.hpp"
#include "vlq/eval/nll_eval.hpp"
#include "vlq/model/qwen2_5_vl.hpp"

namespace vlq::cli {

namespace {

struct EvalCliOptions {
  std::string model;
  std::string data;
  std::optional<std::string> out;
  std::string compat = "none";
  int threads = 0;
  bool cache_weights = false;
  bool quiet = false;
};

void run_eval(const EvalCliOptions& o) {
  const eval::Weighting weighting =
      o.compat == "seed" ? eval::Weighting::kSeedCompat : eval::Weighting::kTokenMean;
  const data::Dataset dataset = data::read_dataset(o.data);
  model::LoadOptions load;
  load.threads = o.threads;
  load.cache_f32_weights = o.cache_weights;
  const model::Qwen25VL model = model::Qwen25VL::load(o.model, load);

  eval::EvalOptions options;
  options.weighting = weighting;
  const eval::EvalResult result = eval::evaluate_loader(model, dataset.loader, options, !o.quiet);
  if (o.out) write_file_atomic(*o.out, eval::samples_jsonl(result));
  std::printf("score %.6f  (mean NLL %.6f over %lld %s, perplexity %.4f, %lld samples, %s)\n",
              result.score, result.mean_nll, static_cast<long long>(result.tokens),
              weighting == eval::Weighting::kSeedCompat ? "mask tokens" : "predicted tokens",
              result.perplexity, static_cast<long long>(result.samples.size()),
              weighting == eval::Weighting::kSeedCompat ? "seed-compatible weighting" : "token mean");
}

}  // namespace

void register_eval_command(CLI::App& app) {
  auto options = std::make_shared<EvalCliOptions>();
  auto* cmd = app.add_subcommand(
      "eval", "Score a checkpoint on a dataset: -mean token NLL over all predicted tokens (higher is better)");
  cmd->add_option("--model", options->model, "checkpoint directory (config.json + safetensors)")->required();
  cmd->add_option("--data", options->data, "dataset directory written by `vlq data --out`")->required();
  cmd->add_option("--out", options->out, "per-sample scores as JSONL");
  cmd->add_option("--compat", options->compat,
                  "none: token-mean NLL over labels != -100; seed: the seed's weighting "
                  "(labels = input_ids incl. pads, batch mean loss x mask sum / total mask sum)")
      ->check(CLI::IsMember({"none", "seed"}));
  cmd->add_option("--threads", options->threads, "compute threads (0 = $VLQ_THREADS or all cores)");
  cmd->add_flag("--cache-weights", options->cache_weights, "keep widened fp32 weights (more memory)");
  cmd->add_flag("--quiet", options->quiet, "no progress line");
  cmd->callback([options] { run_eval(*options); });
}

}  // namespace vlq::cli
