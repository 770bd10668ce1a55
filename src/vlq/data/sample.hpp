#pragma once
// A Sample is one caption (optionally with an image) as read from a source, before any prompt
// is built. It carries its provenance so statistics, overlap reports and errors can point back
// at the exact file and line/row it came from.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace vlq::data {

struct SampleOrigin {
  std::filesystem::path file;
  int64_t line = 0;         // 1-based line in a text/JSONL file; 0 = not line-based
  int64_t row_id = -1;      // SQLite `id` column; -1 = not from a database
  int64_t caption_id = -1;  // COCO caption annotation id; -1 = unknown
  int64_t image_id = -1;    // COCO image id; -1 = unknown
};

struct Sample {
  std::string caption_raw;      // exactly as stored in the source
  std::string caption;          // caption_raw with surrounding whitespace removed (str.strip())
  std::string image_relpath;    // "<split>/<file>.jpg" relative to a COCO root; empty = none
  std::filesystem::path image_path;  // resolved image file; empty = text-only sample
  SampleOrigin origin;
};

// Everything one source produced: the samples in source order plus what was dropped and why.
struct SampleSet {
  std::vector<Sample> samples;
  int64_t duplicates_dropped = 0;     // exact repeats (same caption_id, image, caption)
  int64_t missing_images_skipped = 0; // only with MissingImagePolicy::kSkip
  std::vector<std::filesystem::path> files;  // every input file read (for manifests)
};

}  // namespace vlq::data
