// `vlq sensitivity`: per-op sensitivity ranking (local | loss | output | fallback) with resumable,
// shardable JSONL logs and JSON/CSV/Markdown/PNG reports.
#include <algorithm>
#include <cstdio>
#include <memory>

#include "vlq/cli/commands.hpp"
#include "vlq/cli/quant_options.hpp"
#include "vlq/core/error.hpp"
#include "vlq/quant/plots.hpp"
#include "vlq/quant/sensitivity.hpp"

namespace vlq::cli {

namespace {

constexpr const char* kHelp =
    "Per-op sensitivity, every score oriented higher = more sensitive, rank 1 = most sensitive.\n"
    "Methods and cost (N selected ops):\n"
    "  local     relative output error of the op alone on its float calibration inputs;\n"
    "            2 calibration-set forwards + 2 small GEMMs per op (cheapest)\n"
    "  loss      eval(float) - eval(only this op quantized); 1 + N eval-set passes\n"
    "  output    INC mse_v2-like sum of squared logit errors on C confidence batches (also the\n"
    "            mean); 1 + N forwards of C batches. The error is computed from the final hidden\n"
    "            states through lm_head's Gram matrix (same quantity, no [tokens, vocab] logits);\n"
    "            --output-kl adds the mean KL per token at the cost of full logits per op\n"
    "  fallback  eval(all quantized but this op) - eval(all quantized); 2 + N eval-set passes\n"
    "loss and output resume each op's run at its decoder layer from float activations carried\n"
    "forward (ops before it are float, so the prefix never changes); --full-forward-per-op\n"
    "re-runs the whole model instead (same scores, about twice the time).\n"
    "Each scored op is appended (fsync'd) to OUT/<method>[.shard-i-of-n].jsonl; --resume skips\n"
    "ops already there. Shards take ops i, i+n, ...; combine them with `vlq merge`.";

struct Options {
  QuantCliOptions common;
  std::string scheme = "w8a8", methods = "local", out, shard = "0/1";
  bool resume = false;
  bool output_kl = false;
  bool full_forward_per_op = false;
  int confidence_batches = 2;
  int64_t local_rows = 256;
};

void run(const Options& o) {
  quant::SensitivityOptions so;
  so.methods = quant::parse_methods(o.methods);
  so.scheme = o.scheme;
  quant::scheme_from_name(o.scheme);  // reject a bad scheme before loading anything
  std::tie(so.shard_index, so.shard_count) = quant::parse_shard(o.shard);
  so.resume = o.resume;
  so.confidence_batches = o.confidence_batches;
  so.output_kl = o.output_kl;
  so.resume_at_op_layer = !o.full_forward_per_op;
  so.local_rows = o.local_rows;
  so.progress = !o.common.quiet;
  quant::RunInputs inputs = o.common.to_inputs();
  // Only `fallback` runs plans that quantize (nearly) every op; see RunInputs::cache_f32_weights.
  inputs.cache_f32_weights = std::count(so.methods.begin(), so.methods.end(), quant::SensitivityMethod::kFallback) > 0;
  quant::RunSetup setup = quant::prepare_run(inputs);
  quant::run_sensitivity(*setup.subject, *setup.context, setup.selected, so, o.out);
  if (so.shard_count > 1) {
    std::printf("shard %d/%d done: logs in %s; combine with `vlq merge --out %s`\n", so.shard_index,
                so.shard_count, o.out.c_str(), o.out.c_str());
    return;
  }
  std::string how;
  const bool plots = quant::try_make_plots(o.out, how);
  std::printf("sensitivity report: %s/sensitivity.{json,csv,md}%s\n", o.out.c_str(),
              plots ? " + PNG plots" : "");
  if (!plots) std::printf("plots not made; run: %s\n", how.c_str());
}

}  // namespace

void register_sensitivity_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("sensitivity", "rank ops by quantization sensitivity");
  cmd->footer(kHelp);
  opts->common.add_to(cmd);
  cmd->add_option("--scheme", opts->scheme, "w8a8 | w8a8_sym | w8a16 | w4a16 | fp8 (default w8a8)");
  cmd->add_option("--method", opts->methods, "comma list of local,loss,output,fallback (default local)");
  cmd->add_option("--out", opts->out, "output directory")->required();
  cmd->add_option("--shard", opts->shard, "i/n: score only ops i, i+n, ... (default 0/1)");
  cmd->add_flag("--resume", opts->resume, "keep ops already scored in OUT and continue");
  cmd->add_option("--confidence-batches", opts->confidence_batches, "batches for --method output (default 2)");
  cmd->add_flag("--output-kl", opts->output_kl, "--method output: also the mean KL per token (full logits per op)");
  cmd->add_flag("--full-forward-per-op", opts->full_forward_per_op,
                "loss/output: run the whole model per op instead of resuming at its layer");
  cmd->add_option("--local-rows", opts->local_rows, "rows sampled per call for --method local (default 256)");
  cmd->callback([opts] { run(*opts); });
}

}  // namespace vlq::cli
