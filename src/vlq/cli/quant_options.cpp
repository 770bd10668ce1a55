#include "vlq/cli/quant_options.hpp"

namespace vlq::cli {

void QuantCliOptions::add_to(CLI::App* cmd) {
  cmd->add_option("--model", model, "checkpoint directory (config.json + safetensors)")->required();
  cmd->add_option("--calib", calib, "calibration dataset directory (vlq data --out)")->required();
  cmd->add_option("--eval", eval, "eval dataset directory (vlq data --out)")->required();
  cmd->add_option("--observer", observer, "activation range: minmax|percentile|mse|kl (default minmax)");
  cmd->add_option("--percentile", percentile, "percentile for --observer percentile (default 99.99)");
  cmd->add_option("--include", include, "op name globs to quantize (or re:REGEX); default all Linears");
  cmd->add_option("--exclude", exclude, "op name globs (or re:REGEX) to keep in float");
  cmd->add_flag("--lm-head", lm_head, "also quantize lm_head (off by default)");
  cmd->add_option("--max-calib-batches", max_calib_batches, "use at most N calibration batches (0 = all)");
  cmd->add_option("--max-eval-batches", max_eval_batches, "use at most N eval batches (0 = all)");
  cmd->add_option("--threads", threads, "compute threads (0 = $VLQ_THREADS or all cores)");
  cmd->add_flag("--quiet", quiet, "no progress lines");
}

quant::RunInputs QuantCliOptions::to_inputs() const {
  quant::RunInputs in;
  in.model_dir = model;
  in.calib_dir = calib;
  in.eval_dir = eval;
  in.selector.include = include;
  in.selector.exclude = exclude;
  in.selector.include_lm_head = lm_head;
  in.observer.method = quant::parse_observer_method(observer);
  in.observer.percentile = percentile;
  in.max_calib_batches = max_calib_batches;
  in.max_eval_batches = max_eval_batches;
  in.threads = threads;
  in.progress = !quiet;
  return in;
}

}  // namespace vlq::cli
