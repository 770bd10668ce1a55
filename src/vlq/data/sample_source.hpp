#pragma once
// Which source to read and how to attach images: the single entry point from a user's choice
// (`--captions`, `--calib-db`, `--jsonl`, `--coco-json`) to a SampleSet.
#include <filesystem>
#include <string_view>

#include "vlq/data/sample.hpp"

namespace vlq::data {

enum class SourceKind { kCaptions, kCalibDb, kJsonl, kCocoJson };
enum class MissingImagePolicy { kError, kSkip };

struct SourceSpec {
  SourceKind kind = SourceKind::kCaptions;
  std::filesystem::path path;
  bool with_images = false;
  std::filesystem::path image_root;  // COCO root: image_relpath is resolved against it
  MissingImagePolicy missing_images = MissingImagePolicy::kError;
};

std::string_view to_string(SourceKind kind);
std::string_view to_string(MissingImagePolicy policy);

// Reads the source; with images, resolves image_root/image_relpath for every sample and either
// fails on a missing image ("<image>: image not found (<source>: <where>)") or skips and counts.
SampleSet load_samples(const SourceSpec& spec);

// "line 17", "row id 42", or "caption_id 7" — where a sample came from, for messages.
std::string describe_origin(const SampleOrigin& origin);

}  // namespace vlq::data
