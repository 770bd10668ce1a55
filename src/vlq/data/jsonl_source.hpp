#pragma once
// Eval `.jsonl` files such as coco2017_vlm_eval_100.jsonl: one JSON object per line with a
// required string "caption" and optional "image_relpath" (or "image"), "image_id", "caption_id".
// When image_id is absent it is taken from a COCO file name (<12-digit id>.jpg) so overlap with
// the calibration DB can still be detected. Empty lines are skipped; a malformed line →
// vlq::Error "<file>: line N: <what>".
#include <filesystem>

#include "vlq/data/sample.hpp"

namespace vlq::data {

SampleSet read_jsonl_file(const std::filesystem::path& path);

}  // namespace vlq::data
