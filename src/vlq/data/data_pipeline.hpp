#pragma once
// The whole data layer in one call: source(s) → samples → disjoint calib/eval split → examples
// (chat template + tokenizer [+ images]) → Loaders, plus the report and dataset metadata.
// `vlq data`, `vlq demo` and the Python loaders are thin wrappers over prepare_data().
#include <filesystem>
#include <optional>
#include <string>

#include "vlq/core/json.hpp"
#include "vlq/data/batch_order.hpp"
#include "vlq/data/calib_eval_split.hpp"
#include "vlq/data/dataset_file.hpp"
#include "vlq/data/example_builder.hpp"
#include "vlq/data/loader.hpp"
#include "vlq/data/sample_source.hpp"
#include "vlq/text/chat_template.hpp"
#include "vlq/text/tokenizer.hpp"

namespace vlq::data {

// Tokenizer + chat template of a checkpoint directory, loaded once and shared.
struct TextAssets {
  text::Tokenizer tokenizer;
  text::ChatTemplate chat_template;
  static TextAssets from_directory(const std::filesystem::path& model_dir);
};

struct DataConfig {
  std::filesystem::path model_dir;  // recorded in manifests; also preprocessor_config.json
  SourceSpec source;
  std::optional<SourceSpec> eval_source;  // default: hold out the tail of `source`
  SplitConfig split;
  PromptConfig prompt;
  BatchOrderConfig calib_order;
  BatchOrderConfig eval_order;  // eval is never shuffled
  bool build_calib = true;
  bool build_eval = true;
  int threads = 0;  // 0 = all hardware threads
};

struct DataReport {
  int64_t samples_read = 0;  // after dedup, skipped images
  int64_t duplicates_dropped = 0;
  int64_t missing_images_skipped = 0;
  int64_t calib_pool = 0;
  int64_t overlap_excluded = 0;
  Json to_json() const;
};

struct PreparedData {
  Loader calib;
  Loader eval;
  DataReport report;
  DatasetInfo calib_info;
  DatasetInfo eval_info;
};

PreparedData prepare_data(const DataConfig& config, const TextAssets& assets);

// The config as recorded in manifests (deterministic key order; no thread count).
Json config_to_json(const DataConfig& config);

// Writes <out>/calib and <out>/eval datasets.
void write_prepared(const std::filesystem::path& out_dir, const PreparedData& data);

}  // namespace vlq::data
