// `vlq data`: read a caption source with the checkpoint's tokenizer and chat template, split it
// into disjoint calibration/eval sets, print loader statistics and optionally write both as
// on-disk datasets (--out). All work happens in vlq::data; this file only maps flags.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "vlq/cli/commands.hpp"
#include "vlq/core/data_root.hpp"
#include "vlq/core/error.hpp"
#include "vlq/data/data_pipeline.hpp"
#include "vlq/data/data_report.hpp"

namespace vlq::cli {

namespace {

struct DataOptions {
  std::optional<std::string> data_root;
  std::optional<std::string> model;
  std::optional<std::string> captions, calib_db, jsonl, coco_json, eval_jsonl;
  std::optional<std::string> coco_root;
  bool with_images = false;
  std::string missing_images = "error";
  std::optional<int64_t> min_pixels;  // unset: preprocessor_config.json
  std::optional<int64_t> max_pixels;
  int64_t max_samples = 512;
  int64_t eval_samples = 32;
  int64_t eval_holdout = data::kDefaultEvalHoldout;
  int64_t max_seq_len = 256;
  int64_t batch_size = 8;
  int64_t eval_batch_size = 4;
  uint64_t seed = 0;
  bool shuffle = false;
  bool bucket = false;
  std::string label_mode = "all";
  std::optional<std::string> out;
  int threads = 0;
};

std::filesystem::path require_dir(const std::filesystem::path& dir, const char* what_to_pass) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    fail(dir, std::string("not found; pass ") + what_to_pass +
                  " (or --data-root DIR / VLQ_DATA_ROOT pointing at shared/data)");
  }
  return dir;
}

data::DataConfig to_config(const DataOptions& o) {
  const std::filesystem::path root = resolve_data_root(o.data_root);
  data::DataConfig config;
  config.model_dir = o.model ? std::filesystem::path(*o.model)
                             : require_dir(root / "qwen2_5_vl_3b_instruct", "--model DIR and --captions FILE");
  const bool image_root_given = o.coco_root.has_value();
  config.source.with_images = o.with_images;
  config.source.image_root = image_root_given ? std::filesystem::path(*o.coco_root) : root / "coco2017_images";
  config.source.missing_images =
      o.missing_images == "skip" ? data::MissingImagePolicy::kSkip : data::MissingImagePolicy::kError;
  if (o.captions) {
    config.source.kind = data::SourceKind::kCaptions, config.source.path = *o.captions;
  } else if (o.calib_db) {
    config.source.kind = data::SourceKind::kCalibDb, config.source.path = *o.calib_db;
  } else if (o.jsonl) {
    config.source.kind = data::SourceKind::kJsonl, config.source.path = *o.jsonl;
  } else if (o.coco_json) {
    config.source.kind = data::SourceKind::kCocoJson, config.source.path = *o.coco_json;
  } else {
    config.source.kind = data::SourceKind::kCaptions;
    config.source.path = require_dir(root / "coco2017_vlm_calib", "--captions FILE") / "coco2017_captions.txt";
  }
  if (o.eval_jsonl) {
    data::SourceSpec eval = config.source;
    eval.kind = data::SourceKind::kJsonl;
    eval.path = *o.eval_jsonl;
    config.eval_source = eval;
  }
  config.split = {.max_samples = o.max_samples, .eval_samples = o.eval_samples, .eval_holdout = o.eval_holdout};
  config.prompt.label_mode = data::parse_label_mode(o.label_mode, "--label-mode");
  config.prompt.max_seq_len = o.max_seq_len;
  config.prompt.with_images = o.with_images;
  config.prompt.min_pixels = o.min_pixels;
  config.prompt.max_pixels = o.max_pixels;
  config.calib_order = {.batch_size = o.batch_size, .shuffle = o.shuffle, .seed = o.seed, .bucket_by_length = o.bucket};
  config.eval_order = {.batch_size = o.eval_batch_size, .shuffle = false, .seed = o.seed, .bucket_by_length = o.bucket};
  config.threads = o.threads;
  return config;
}

void run(const DataOptions& options) {
  const data::DataConfig config = to_config(options);
  const data::TextAssets assets = data::TextAssets::from_directory(config.model_dir);
  const data::PreparedData prepared = data::prepare_data(config, assets);
  std::printf("model: %s\nsource: %s %s\n", config.model_dir.c_str(), std::string(data::to_string(config.source.kind)).c_str(),
              config.source.path.c_str());
  std::fputs(data::format_report(prepared).c_str(), stdout);
  if (options.out) {
    data::write_prepared(*options.out, prepared);
    std::printf("wrote %s/calib and %s/eval\n", options.out->c_str(), options.out->c_str());
  }
}

}  // namespace

void register_data_command(CLI::App& app) {
  auto options = std::make_shared<DataOptions>();
  auto* cmd = app.add_subcommand("data", "Build calibration/eval loaders and print their statistics");
  cmd->add_option("--data-root", options->data_root, "shared data directory (default: $VLQ_DATA_ROOT, ../shared/data)");
  cmd->add_option("--model", options->model, "checkpoint dir with tokenizer + chat template (default <data-root>/qwen2_5_vl_3b_instruct)");
  auto* captions = cmd->add_option("--captions", options->captions, "captions .txt, one per line");
  auto* db = cmd->add_option("--calib-db", options->calib_db, "COCO calibration SQLite db (vlm_calib_samples)");
  auto* jsonl = cmd->add_option("--jsonl", options->jsonl, "JSONL file with \"caption\" (+ image_relpath) per line");
  auto* coco = cmd->add_option("--coco-json", options->coco_json, "COCO captions_<split>.json");
  captions->excludes(db, jsonl, coco);
  db->excludes(jsonl, coco);
  jsonl->excludes(coco);
  cmd->add_option("--eval-jsonl", options->eval_jsonl, "separate eval source (overlap with calibration is excluded)");
  cmd->add_option("--coco-root", options->coco_root, "COCO root for image_relpath (default <data-root>/coco2017_images)");
  cmd->add_flag("--with-images", options->with_images, "image+text samples");
  cmd->add_option("--missing-images", options->missing_images, "error|skip")->check(CLI::IsMember({"error", "skip"}));
  cmd->add_option("--min-pixels", options->min_pixels, "image processor min_pixels");
  cmd->add_option("--max-pixels", options->max_pixels, "image processor max_pixels");
  cmd->add_option("--max-samples", options->max_samples, "calibration samples (<=0: all)")->capture_default_str();
  cmd->add_option("--eval-samples", options->eval_samples, "eval samples")->capture_default_str();
  cmd->add_option("--eval-holdout", options->eval_holdout, "source tail reserved for eval")->capture_default_str();
  cmd->add_option("--max-seq-len", options->max_seq_len, "truncate to this many tokens (<=0: no truncation)")->capture_default_str();
  cmd->add_option("--batch-size", options->batch_size, "calibration batch size")->capture_default_str();
  cmd->add_option("--eval-batch-size", options->eval_batch_size, "eval batch size")->capture_default_str();
  cmd->add_option("--seed", options->seed, "shuffle seed")->capture_default_str();
  cmd->add_flag("--shuffle", options->shuffle, "shuffle calibration batches (deterministic per seed and epoch)");
  cmd->add_flag("--bucket", options->bucket, "group similar lengths into batches");
  cmd->add_option("--label-mode", options->label_mode, "all|caption")->check(CLI::IsMember({"all", "caption"}));
  cmd->add_option("--out", options->out, "write <out>/calib and <out>/eval datasets");
  cmd->add_option("--threads", options->threads, "tokenization threads (0: all cores)");
  cmd->callback([options] { run(*options); });
}

}  // namespace vlq::cli
