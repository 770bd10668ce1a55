#pragma once
// The COCO calibration SQLite database (table `vlm_calib_samples`: id, split, image_relpath,
// image_id, caption_id, caption), read-only through libsqlite3. Rows are read in id order and
// exact repeats (same caption_id, image_relpath and caption) are dropped and counted: the main
// coco2017_vlm_calib.db stores rows 1..4096 twice (ids 4097..8192).
#include <filesystem>

#include "vlq/data/sample.hpp"

namespace vlq::data {

inline constexpr const char* kCalibTableName = "vlm_calib_samples";

// Missing file, not a database, no `vlm_calib_samples` table, NULL/mistyped columns or invalid
// UTF-8 → vlq::Error "<file>: <what>".
SampleSet read_calib_db(const std::filesystem::path& path);

}  // namespace vlq::data
