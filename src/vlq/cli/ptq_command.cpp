// `vlq ptq`: quantize every selected op, then fall back the most sensitive ops to float by
// bisection until the eval scalar meets the accuracy criterion.
#include <cstdio>
#include <memory>

#include "vlq/cli/commands.hpp"
#include "vlq/cli/quant_options.hpp"
#include "vlq/core/error.hpp"
#include "vlq/core/json.hpp"
#include "vlq/quant/jsonl_log.hpp"
#include "vlq/quant/plots.hpp"
#include "vlq/quant/sensitivity.hpp"
#include "vlq/quant/tuner.hpp"

namespace vlq::cli {

namespace {

struct Options {
  QuantCliOptions common;
  std::string scheme = "w8a8", criterion = "relative", out, ranking, method = "local";
  double tolerance = 0.01;
};

void run(const Options& o) {
  quant::scheme_from_name(o.scheme);
  if (o.criterion != "relative" && o.criterion != "absolute")
    fail("--criterion: expected relative or absolute, got '" + o.criterion + "'");
  quant::RunSetup setup = quant::prepare_run(o.common.to_inputs());
  std::filesystem::create_directories(o.out);
  std::vector<std::string> ranked;
  if (!o.ranking.empty()) {
    Json report = read_json_file(o.ranking);
    if (!report.contains("methods") || report["methods"].empty())
      fail(o.ranking, "not a vlq sensitivity.json (no \"methods\")");
    const auto& m = report["methods"].begin().value();
    for (const auto& r : m.at("ranking")) ranked.push_back(r.at("op"));
  } else {
    quant::SensitivityOptions so;
    so.methods = quant::parse_methods(o.method);
    so.scheme = o.scheme;
    so.progress = !o.common.quiet;
    auto dir = std::filesystem::path(o.out) / "sensitivity";
    quant::run_sensitivity(*setup.subject, *setup.context, setup.selected, so, dir);
    // Keep the parsed report alive: a range-for over a member of a temporary would dangle.
    const Json report = read_json_file(dir / "sensitivity.json");
    for (const auto& r : report.at("methods").begin().value().at("ranking")) ranked.push_back(r.at("op"));
  }
  std::vector<std::string> names;
  for (const auto& op : setup.selected) names.push_back(op.name);
  quant::TuneOptions t;
  t.scheme = o.scheme;
  t.tolerance = o.tolerance;
  t.relative = o.criterion == "relative";
  quant::JsonlLog log(std::filesystem::path(o.out) / "trials.jsonl", false);
  quant::TuneResult r = quant::tune(*setup.subject, *setup.context, names, ranked, t, &log);
  quant::write_tune_report(o.out, r, t, ranked);
  std::string how;
  const bool plots = quant::try_make_plots(o.out, how);
  std::printf("ptq: baseline %.6f target %.6f -> %zu/%zu ops quantized, %zu in float, eval %.6f, %d evaluations\n",
              r.baseline, r.target, r.plan.quantized_count(), r.plan.ops.size(), r.fallback_count,
              r.final_eval, r.evaluations());
  std::printf("plan: %s/plan.json (INC: inc_op_name_dict.json), report: %s/ptq_report.md%s\n",
              o.out.c_str(), o.out.c_str(), plots ? " + ptq_eval_vs_fallback.png" : "");
  if (!plots) std::printf("plots not made; run: %s\n", how.c_str());
}

}  // namespace

void register_ptq_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("ptq", "accuracy-driven PTQ: quantization plan meeting a criterion");
  cmd->footer(
      "Target: relative = baseline - tol*|baseline| (so a negative -NLL scalar never demands an\n"
      "improvement), absolute = baseline - tol. Ops fall back in sensitivity order (--ranking FILE\n"
      "from `vlq sensitivity`, else computed here with --method, default local); the number of\n"
      "fallbacks is found by bisection: about 2 + log2(N) evaluations.");
  opts->common.add_to(cmd);
  cmd->add_option("--scheme", opts->scheme, "w8a8 | w8a8_sym | w8a16 | w4a16 | fp8 (default w8a8)");
  cmd->add_option("--tolerance", opts->tolerance, "allowed eval drop (default 0.01)");
  cmd->add_option("--criterion", opts->criterion, "relative | absolute (default relative)");
  cmd->add_option("--ranking", opts->ranking, "sensitivity.json to take the fallback order from");
  cmd->add_option("--method", opts->method, "sensitivity method for the ranking when --ranking is not given");
  cmd->add_option("--out", opts->out, "output directory")->required();
  cmd->callback([opts] { run(*opts); });
}

}  // namespace vlq::cli
