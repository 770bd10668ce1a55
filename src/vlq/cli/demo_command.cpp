// `vlq demo`: the main job end to end on the embedded default (../shared/data):
//   1. model        --model DIR, or a small RANDOM Qwen2.5-VL (demo_model.hpp; the real 3B
//                   weights are not needed to show the pipeline)
//   2. data         calibration + eval loaders from the real COCO captions with the real
//                   tokenizer and chat template, written as on-disk datasets
//   3. eval         the float eval scalar (−mean token NLL), exactly what `vlq eval` computes
//   4. sensitivity  `local` and `loss` for every quantizable op, ranked, + plots
//   5. ptq          the default accuracy criterion (w8a8, relative tolerance 1%): plan JSON,
//                   INC op_name_dict, trial log, report
// Everything goes to a staging directory that replaces --out only when all steps succeeded
// (core/staged_directory.hpp). Each step calls the library functions the single-purpose subcommands
// use (data::prepare_data, eval::evaluate, quant::run_sensitivity, quant::tune, ...).
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vlq/cli/commands.hpp"
#include "vlq/cli/demo_model.hpp"
#include "vlq/core/staged_directory.hpp"
#include "vlq/core/data_root.hpp"
#include "vlq/core/error.hpp"
#include "vlq/core/file_io.hpp"
#include "vlq/core/json.hpp"
#include "vlq/data/data_pipeline.hpp"
#include "vlq/data/data_report.hpp"
#include "vlq/data/dataset_file.hpp"
#include "vlq/eval/nll_eval.hpp"
#include "vlq/model/qwen2_5_vl.hpp"
#include "vlq/quant/jsonl_log.hpp"
#include "vlq/quant/plots.hpp"
#include "vlq/quant/run_setup.hpp"
#include "vlq/quant/sensitivity.hpp"
#include "vlq/quant/tuner.hpp"

namespace vlq::cli {

namespace {

namespace fs = std::filesystem;
constexpr int kSteps = 5;
constexpr const char* kMarker = "demo.json";

struct DemoOptions {
  std::optional<std::string> data_root;
  std::optional<std::string> model;
  std::optional<std::string> cache_dir;
  std::string out = "vlq-demo";
  int64_t calib_samples = 64;
  int64_t eval_samples = 16;
  std::string scheme = "w8a8";
  double tolerance = 0.01;
  int threads = 0;
  bool quiet = false;
};

class StepClock {
 public:
  void begin(int step, const char* name) {
    start_ = std::chrono::steady_clock::now();
    std::printf("\n[%d/%d] %s\n", step, kSteps, name);
    std::fflush(stdout);
  }
  double end() {
    const double s = seconds_since(start_);
    std::printf("      (%.1f s)\n", s);
    std::fflush(stdout);
    return s;
  }
  static double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

struct Inputs {
  fs::path root, reference, captions;
};

// Everything the demo reads is checked before anything is written.
Inputs check_inputs(const DemoOptions& o) {
  Inputs in;
  in.root = resolve_data_root(o.data_root);
  in.reference = in.root / "qwen2_5_vl_3b_instruct";
  in.captions = in.root / "coco2017_vlm_calib" / "coco2017_captions.txt";
  std::error_code ec;
  for (const fs::path& need : {in.reference / "config.json", in.reference / "vocab.json", in.captions}) {
    if (!fs::is_regular_file(need, ec))
      fail(in.root, "data root not found or incomplete (no " + fs::relative(need, in.root).string() +
                        "); pass --data-root DIR (or set VLQ_DATA_ROOT) pointing at shared/data");
  }
  if (o.calib_samples <= 0 || o.eval_samples <= 0) fail("--calib-samples and --eval-samples must be positive");
  if (o.tolerance < 0) fail("--tolerance must not be negative");
  quant::scheme_from_name(o.scheme);
  return in;
}

// The tokenizer comes with the checkpoint; a checkpoint without one uses the data root's.
fs::path tokenizer_dir(const DemoModel& m, const Inputs& in) {
  std::error_code ec;
  if (fs::is_regular_file(m.dir / "vocab.json", ec) || fs::is_regular_file(m.dir / "tokenizer.json", ec)) return m.dir;
  std::printf("      %s has no tokenizer files; using %s\n", m.dir.c_str(), in.reference.c_str());
  return in.reference;
}

data::PreparedData make_data(const DemoOptions& o, const Inputs& in, const fs::path& tokenizer) {
  data::DataConfig config;
  config.model_dir = tokenizer;
  config.source.kind = data::SourceKind::kCaptions;
  config.source.path = in.captions;
  config.split = {.max_samples = o.calib_samples, .eval_samples = o.eval_samples,
                  .eval_holdout = data::kDefaultEvalHoldout};
  config.calib_order = {.batch_size = 8, .shuffle = true, .seed = 0};
  config.eval_order = {.batch_size = 4};
  config.threads = o.threads;
  std::printf("      %s, tokenized with %s (text-only, chat template, labels on every token)\n",
              config.source.path.c_str(), config.model_dir.c_str());
  const data::TextAssets assets = data::TextAssets::from_directory(config.model_dir);
  return data::prepare_data(config, assets);
}

// `vlq eval --model M --data D` in-process: same load options, same streaming evaluation.
eval::EvalResult float_eval(const DemoOptions& o, const fs::path& model_dir, const fs::path& dataset_dir) {
  const data::Dataset dataset = data::read_dataset(dataset_dir);
  model::LoadOptions load;
  load.threads = o.threads;
  const model::Qwen25VL model = model::Qwen25VL::load(model_dir, load);
  return eval::evaluate_loader(model, dataset.loader, {}, !o.quiet);
}

std::vector<std::string> ranking_of(const Json& report, const std::string& method) {
  std::vector<std::string> ranked;
  for (const auto& r : report.at("methods").at(method).at("ranking")) ranked.push_back(r.at("op"));
  return ranked;
}

// `how` names the staging directory; the user will find the files under the final one.
void print_plots(bool made, std::string how, const fs::path& staging, const fs::path& final_dir) {
  if (made) {
    std::printf("      PNG plots written\n");
    return;
  }
  const std::string from = staging.string(), to = final_dir.string();
  for (size_t at = how.find(from); at != std::string::npos; at = how.find(from, at + to.size()))
    how.replace(at, from.size(), to);
  std::printf("      plots not made; run: %s\n", how.c_str());
}

void run(const DemoOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const Inputs in = check_inputs(o);
  StagedDirectory out(o.out, kMarker);
  const fs::path work = out.dir();
  StepClock clock;
  Json summary = {{"format", "vlq-demo"}, {"version", 1}, {"data_root", fs::absolute(in.root).string()}};
  std::printf("vlq demo: data -> eval -> sensitivity -> PTQ on the embedded default (%s)\n", in.root.c_str());

  clock.begin(1, "model");
  const fs::path cache = o.cache_dir ? fs::path(*o.cache_dir) : default_cache_dir();
  const DemoModel m = resolve_demo_model(o.model, in.reference, cache);
  if (m.random) {
    std::printf("      RANDOM demo model (not Qwen2.5-VL-3B; its scores only show that the pipeline runs):\n"
                "      %s\n      %s %s\n"
                "      For real results pass a checkpoint: vlq demo --model /path/to/Qwen2.5-VL-3B-Instruct\n",
                m.summary.c_str(), m.generated ? "generated" : "reused", m.dir.c_str());
  } else {
    std::printf("      %s\n", m.dir.c_str());
  }
  summary["model"] = {{"dir", fs::absolute(m.dir).string()}, {"random", m.random}, {"description", m.summary}};
  clock.end();

  clock.begin(2, "data");
  const data::PreparedData prepared = make_data(o, in, tokenizer_dir(m, in));
  std::fputs(data::format_report(prepared).c_str(), stdout);
  data::write_prepared(work / "data", prepared);
  const fs::path calib_dir = work / "data" / "calib", eval_dir = work / "data" / "eval";
  summary["data"] = {{"calib", "data/calib"}, {"eval", "data/eval"},
                     {"calib_examples", prepared.calib.size()}, {"eval_examples", prepared.eval.size()}};
  clock.end();

  clock.begin(3, "eval (float)");
  const eval::EvalResult float_result = float_eval(o, m.dir, eval_dir);
  write_file_atomic(work / "eval" / "scores.jsonl", eval::samples_jsonl(float_result));
  std::printf("      score %.6f  (mean NLL %.6f over %lld predicted tokens, perplexity %.4f, %zu samples)\n",
              float_result.score, float_result.mean_nll, static_cast<long long>(float_result.tokens),
              float_result.perplexity, float_result.samples.size());
  summary["eval"] = {{"score", float_result.score}, {"mean_nll", float_result.mean_nll},
                     {"perplexity", float_result.perplexity}, {"tokens", float_result.tokens},
                     {"samples", float_result.samples.size()}, {"scores", "eval/scores.jsonl"}};
  clock.end();

  clock.begin(4, "sensitivity");
  quant::RunInputs run_in;
  run_in.model_dir = m.dir;
  run_in.calib_dir = calib_dir;
  run_in.eval_dir = eval_dir;
  run_in.threads = o.threads;
  run_in.progress = !o.quiet;
  quant::RunSetup setup = quant::prepare_run(run_in);
  quant::SensitivityOptions so;
  so.methods = {quant::SensitivityMethod::kLocal, quant::SensitivityMethod::kLoss};
  so.scheme = o.scheme;
  so.progress = !o.quiet;
  std::printf("      %s, methods local + loss over %zu ops (lm_head and ops the text-only data never runs "
              "stay float)\n", o.scheme.c_str(), setup.selected.size());
  const fs::path sens_dir = work / "sensitivity";
  quant::run_sensitivity(*setup.subject, *setup.context, setup.selected, so, sens_dir);
  const Json sens = read_json_file(sens_dir / "sensitivity.json");
  const std::vector<std::string> ranked = ranking_of(sens, "loss");
  std::printf("      most sensitive (loss = eval drop when only that op is quantized):\n");
  const auto& loss_rows = sens.at("methods").at("loss").at("ranking");
  for (size_t i = 0; i < loss_rows.size() && i < 5; ++i)
    std::printf("        %zu. %-40s %.3e\n", i + 1, loss_rows[i].at("op").get<std::string>().c_str(),
                loss_rows[i].at("score").get<double>());
  std::string how;
  const bool plots = quant::try_make_plots(sens_dir, how);
  print_plots(plots, how, work, out.out());
  summary["sensitivity"] = {{"report", "sensitivity/sensitivity.json"}, {"markdown", "sensitivity/sensitivity.md"},
                            {"methods", {"local", "loss"}}, {"ops", setup.selected.size()}};
  clock.end();

  clock.begin(5, "ptq");
  std::vector<std::string> names;
  for (const auto& op : setup.selected) names.push_back(op.name);
  quant::TuneOptions t;
  t.scheme = o.scheme;
  t.tolerance = o.tolerance;
  t.relative = true;
  const fs::path ptq_dir = work / "ptq";
  fs::create_directories(ptq_dir);
  quant::TuneResult r;
  {
    quant::JsonlLog log(ptq_dir / "trials.jsonl", false);
    r = quant::tune(*setup.subject, *setup.context, names, ranked, t, &log);
  }
  quant::write_tune_report(ptq_dir, r, t, ranked);
  std::printf("      %s, relative tolerance %g: baseline %.6f, target %.6f -> %zu/%zu ops quantized, %zu in float, "
              "eval %.6f (%d evaluations, fallback order = loss ranking)\n",
              o.scheme.c_str(), o.tolerance, r.baseline, r.target, r.plan.quantized_count(), r.plan.ops.size(),
              r.fallback_count, r.final_eval, r.evaluations());
  const bool ptq_plots = quant::try_make_plots(ptq_dir, how);  // sets `how`: call before passing it
  print_plots(ptq_plots, how, work, out.out());
  summary["ptq"] = {{"scheme", o.scheme}, {"criterion", "relative"}, {"tolerance", o.tolerance},
                    {"baseline", r.baseline}, {"target", r.target}, {"final_eval", r.final_eval},
                    {"quantized_ops", r.plan.quantized_count()}, {"float_ops", r.fallback_count},
                    {"plan", "ptq/plan.json"}, {"inc_op_name_dict", "ptq/inc_op_name_dict.json"},
                    {"trials", "ptq/trials.jsonl"}, {"report", "ptq/ptq_report.md"}};
  clock.end();

  write_file_atomic(work / kMarker, summary.dump(2) + "\n");
  out.commit();
  const fs::path& d = out.out();
  std::printf("\ndone in %.1f s%s. Reports:\n", StepClock::seconds_since(t0),
              m.random ? " (random demo model: the numbers only show that the pipeline runs)" : "");
  std::printf("  summary      %s\n", (d / kMarker).c_str());
  std::printf("  datasets     %s  %s\n", (d / "data" / "calib").c_str(), (d / "data" / "eval").c_str());
  std::printf("  eval         %s\n", (d / "eval" / "scores.jsonl").c_str());
  std::printf("  sensitivity  %s  (also .json .csv%s)\n", (d / "sensitivity" / "sensitivity.md").c_str(),
              plots ? ", PNG plots" : "");
  std::printf("  ptq report   %s\n", (d / "ptq" / "ptq_report.md").c_str());
  std::printf("  ptq plan     %s  (INC: %s)\n", (d / "ptq" / "plan.json").c_str(),
              (d / "ptq" / "inc_op_name_dict.json").c_str());
}

}  // namespace

void register_demo_command(CLI::App& app) {
  auto o = std::make_shared<DemoOptions>();
  auto* cmd = app.add_subcommand(
      "demo", "Run the main job end to end (data -> eval -> sensitivity -> PTQ) on the embedded default");
  cmd->footer(
      "Without --model the demo generates (once, fixed seed, cached) a small RANDOM Qwen2.5-VL checkpoint\n"
      "with the real vocabulary and token ids, so its numbers only show that the pipeline runs. Pass a\n"
      "real checkpoint with --model DIR. The output directory appears only when every step succeeded.");
  cmd->add_option("--data-root", o->data_root, "shared data directory (default: $VLQ_DATA_ROOT, ../shared/data)");
  cmd->add_option("--model", o->model, "checkpoint directory (default: the random demo model)");
  cmd->add_option("--out", o->out, "output directory (default ./vlq-demo)")->capture_default_str();
  cmd->add_option("--cache-dir", o->cache_dir, "where the random demo model is cached (default $XDG_CACHE_HOME/vlq)");
  cmd->add_option("--calib-samples", o->calib_samples, "calibration samples")->capture_default_str();
  cmd->add_option("--eval-samples", o->eval_samples, "eval samples")->capture_default_str();
  cmd->add_option("--scheme", o->scheme, "w8a8 | w8a8_sym | w8a16 | w4a16 | fp8")->capture_default_str();
  cmd->add_option("--tolerance", o->tolerance, "allowed relative eval drop for PTQ")->capture_default_str();
  cmd->add_option("--threads", o->threads, "compute threads (0 = $VLQ_THREADS or all cores)");
  cmd->add_flag("--quiet", o->quiet, "no progress lines");
  cmd->callback([o] { run(*o); });
}

}  // namespace vlq::cli
