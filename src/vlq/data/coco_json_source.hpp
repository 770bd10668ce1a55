#pragma once
// COCO caption annotation files (captions_<split>.json: "images" with id/file_name,
// "annotations" with id/image_id/caption). Samples follow the annotation order; image_relpath
// is "<split>/<file_name>" with the split taken from the file name, the layout of a COCO root
// (and of the calibration DB's image_relpath). Repeated annotation ids are dropped and counted.
#include <filesystem>

#include "vlq/data/sample.hpp"

namespace vlq::data {

SampleSet read_coco_captions_json(const std::filesystem::path& path);

}  // namespace vlq::data
