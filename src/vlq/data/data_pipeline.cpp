#include "vlq/data/data_pipeline.hpp"

#include <memory>
#include <numeric>
#include <thread>

#include "vlq/core/error.hpp"
#include "vlq/vision/image_processor.hpp"

namespace vlq::data {

TextAssets TextAssets::from_directory(const std::filesystem::path& model_dir) {
  return TextAssets{text::Tokenizer::from_directory(model_dir),
                    text::ChatTemplate::from_directory(model_dir)};
}

Json DataReport::to_json() const {
  return {{"samples_read", samples_read},
          {"duplicates_dropped", duplicates_dropped},
          {"missing_images_skipped", missing_images_skipped},
          {"calib_pool", calib_pool},
          {"overlap_excluded", overlap_excluded}};
}

namespace {

Json source_to_json(const SourceSpec& source) {
  Json j = {{"kind", to_string(source.kind)},
            {"path", source.path.string()},
            {"with_images", source.with_images}};
  if (source.with_images) {
    j["image_root"] = source.image_root.string();
    j["missing_images"] = to_string(source.missing_images);
  }
  return j;
}

int thread_count(int requested) {
  if (requested > 0) return requested;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::vector<std::filesystem::path> files_of(const SampleSet& a, const SampleSet* b) {
  std::vector<std::filesystem::path> files = a.files;
  if (b) files.insert(files.end(), b->files.begin(), b->files.end());
  return files;
}

}  // namespace

Json config_to_json(const DataConfig& c) {
  Json prompt = {{"label_mode", to_string(c.prompt.label_mode)},
                 {"caption_prompt", c.prompt.caption_prompt},
                 {"max_seq_len", c.prompt.max_seq_len},
                 {"with_images", c.prompt.with_images}};
  if (c.prompt.with_images) {
    prompt["min_pixels"] = c.prompt.min_pixels ? Json(*c.prompt.min_pixels) : Json("preprocessor_config");
    prompt["max_pixels"] = c.prompt.max_pixels ? Json(*c.prompt.max_pixels) : Json("preprocessor_config");
  }
  return {{"model_dir", c.model_dir.string()},
          {"source", source_to_json(c.source)},
          {"eval_source", c.eval_source ? source_to_json(*c.eval_source) : Json(nullptr)},
          {"split", {{"max_samples", c.split.max_samples},
                     {"eval_samples", c.split.eval_samples},
                     {"eval_holdout", c.eval_source ? 0 : c.split.eval_holdout}}},
          {"prompt", prompt}};
}

PreparedData prepare_data(const DataConfig& config, const TextAssets& assets) {
  if (config.prompt.with_images != config.source.with_images ||
      (config.eval_source && config.eval_source->with_images != config.prompt.with_images)) {
    fail("data config: prompt.with_images and the sources' with_images must agree");
  }
  const SampleSet calib_set = load_samples(config.source);
  std::optional<SampleSet> eval_set;
  if (config.eval_source) eval_set = load_samples(*config.eval_source);
  const SampleSet& eval_samples = eval_set ? *eval_set : calib_set;

  const SplitResult split = eval_set
                                ? split_with_eval_source(calib_set.samples, eval_set->samples, config.split)
                                : split_single_source(calib_set.samples, config.split);

  if (config.build_eval && config.split.eval_samples > 0 && split.eval.empty()) {
    const auto& eval_path = config.eval_source ? config.eval_source->path : config.source.path;
    fail(eval_path, "no eval samples left: all " + std::to_string(split.overlap_excluded) +
                        " candidates overlap the calibration source (same caption_id, image_id or caption)");
  }
  std::unique_ptr<vision::ImageProcessor> images;
  if (config.prompt.with_images) {
    images = std::make_unique<vision::ImageProcessor>(
        vision::ImageProcessorConfig::from_directory(config.model_dir));
  }
  const ExampleBuilder builder(assets.tokenizer, assets.chat_template, config.prompt, images.get());
  const int threads = thread_count(config.threads);
  const int64_t pad = assets.tokenizer.pad_token_id();

  PreparedData out;
  BatchOrderConfig eval_order = config.eval_order;
  eval_order.shuffle = false;
  if (config.build_calib) {
    out.calib = Loader(builder.build_all(calib_set.samples, split.calib, threads), config.calib_order, pad);
  } else {
    out.calib = Loader({}, config.calib_order, pad);
  }
  if (config.build_eval) {
    out.eval = Loader(builder.build_all(eval_samples.samples, split.eval, threads), eval_order, pad);
  } else {
    out.eval = Loader({}, eval_order, pad);
  }

  out.report.samples_read = static_cast<int64_t>(calib_set.samples.size());
  out.report.duplicates_dropped = calib_set.duplicates_dropped + (eval_set ? eval_set->duplicates_dropped : 0);
  out.report.missing_images_skipped =
      calib_set.missing_images_skipped + (eval_set ? eval_set->missing_images_skipped : 0);
  out.report.calib_pool = split.calib_pool;
  out.report.overlap_excluded = split.overlap_excluded;

  const Json config_json = config_to_json(config);
  for (auto [info, name] : {std::pair{&out.calib_info, "calib"}, std::pair{&out.eval_info, "eval"}}) {
    info->split = name;
    info->tokenizer_fingerprint = assets.tokenizer.fingerprint();
    info->chat_template_fingerprint = assets.chat_template.fingerprint();
    info->config = config_json;
    info->source_files = files_of(calib_set, eval_set ? &*eval_set : nullptr);
    info->report = out.report.to_json();
  }
  return out;
}

void write_prepared(const std::filesystem::path& out_dir, const PreparedData& data) {
  write_dataset(out_dir / "calib", data.calib, data.calib_info);
  write_dataset(out_dir / "eval", data.eval, data.eval_info);
}

}  // namespace vlq::data
