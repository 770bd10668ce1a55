// `vlq demo`: the main job on the embedded default (../shared/data): calibration and eval
// loaders from the real COCO captions with the real Qwen2.5-VL tokenizer and chat template,
// and their statistics. Later layers (model, quant) extend this with their steps.
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

data::PreparedData demo_data(const std::filesystem::path& root) {
  data::DataConfig config;
  config.model_dir = root / "qwen2_5_vl_3b_instruct";
  config.source.kind = data::SourceKind::kCaptions;
  config.source.path = root / "coco2017_vlm_calib" / "coco2017_captions.txt";
  std::error_code ec;
  if (!std::filesystem::is_directory(config.model_dir, ec) || !std::filesystem::is_regular_file(config.source.path, ec)) {
    fail(root, "data root not found or incomplete; pass --data-root DIR (or set VLQ_DATA_ROOT), or run "
               "`vlq data --model DIR --captions FILE`");
  }
  config.split = {.max_samples = 512, .eval_samples = 32, .eval_holdout = data::kDefaultEvalHoldout};
  config.calib_order = {.batch_size = 8, .shuffle = true, .seed = 0};
  config.eval_order = {.batch_size = 4};
  const data::TextAssets assets = data::TextAssets::from_directory(config.model_dir);
  std::printf("== data: %s with %s\n", config.source.path.c_str(), config.model_dir.c_str());
  data::PreparedData prepared = data::prepare_data(config, assets);
  std::fputs(data::format_report(prepared).c_str(), stdout);
  return prepared;
}

}  // namespace

void register_demo_command(CLI::App& app) {
  auto data_root = std::make_shared<std::optional<std::string>>();
  auto* cmd = app.add_subcommand("demo", "Run the main job on the embedded default data (../shared/data)");
  cmd->add_option("--data-root", *data_root, "shared data directory (default: $VLQ_DATA_ROOT, ../shared/data)");
  cmd->callback([data_root] { demo_data(resolve_data_root(*data_root)); });
}

}  // namespace vlq::cli
