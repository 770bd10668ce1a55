#include "vlq/data/sample_source.hpp"

#include <string>

#include "vlq/core/error.hpp"
#include "vlq/data/calib_db_source.hpp"
#include "vlq/data/caption_file_source.hpp"
#include "vlq/data/coco_json_source.hpp"
#include "vlq/data/jsonl_source.hpp"

namespace vlq::data {

std::string_view to_string(SourceKind kind) {
  switch (kind) {
    case SourceKind::kCaptions: return "captions";
    case SourceKind::kCalibDb: return "calib-db";
    case SourceKind::kJsonl: return "jsonl";
    case SourceKind::kCocoJson: return "coco-json";
  }
  return "unknown";
}

std::string_view to_string(MissingImagePolicy policy) {
  return policy == MissingImagePolicy::kError ? "error" : "skip";
}

std::string describe_origin(const SampleOrigin& origin) {
  if (origin.line > 0) return "line " + std::to_string(origin.line);
  if (origin.row_id >= 0) return "row id " + std::to_string(origin.row_id);
  if (origin.caption_id >= 0) return "caption_id " + std::to_string(origin.caption_id);
  return "unknown position";
}

namespace {

SampleSet read_source(const SourceSpec& spec) {
  switch (spec.kind) {
    case SourceKind::kCaptions: return read_caption_file(spec.path);
    case SourceKind::kCalibDb: return read_calib_db(spec.path);
    case SourceKind::kJsonl: return read_jsonl_file(spec.path);
    case SourceKind::kCocoJson: return read_coco_captions_json(spec.path);
  }
  fail(spec.path, "unknown source kind");
}

void attach_images(SampleSet& set, const SourceSpec& spec) {
  if (spec.kind == SourceKind::kCaptions) {
    fail(spec.path, "a captions text file has no images; use --calib-db, --jsonl or --coco-json");
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(spec.image_root, ec)) {
    fail(spec.image_root, "image root (--coco-root) is not a directory");
  }
  std::vector<Sample> kept;
  kept.reserve(set.samples.size());
  for (Sample& sample : set.samples) {
    if (sample.image_relpath.empty()) {
      fail(spec.path, describe_origin(sample.origin) + ": sample has no image path");
    }
    std::filesystem::path image = spec.image_root / sample.image_relpath;
    if (!std::filesystem::is_regular_file(image, ec)) {
      if (spec.missing_images == MissingImagePolicy::kSkip) {
        ++set.missing_images_skipped;
        continue;
      }
      fail(image, "image not found (" + spec.path.string() + ": " + describe_origin(sample.origin) +
                      "; pass --missing-images skip to leave such samples out)");
    }
    sample.image_path = std::move(image);
    kept.push_back(std::move(sample));
  }
  set.samples = std::move(kept);
}

}  // namespace

SampleSet load_samples(const SourceSpec& spec) {
  SampleSet set = read_source(spec);
  if (spec.with_images) attach_images(set, spec);
  return set;
}

}  // namespace vlq::data
