#pragma once
// The on-disk dataset: <dir>/manifest.json plus binary shards <dir>/shard-NNNNN.bin holding
// tokenized examples (not batches, so readers can re-batch). The manifest records what the data
// was built from — tokenizer and chat-template fingerprints, the build config and its hash, the
// sha256 of every source file and shard — and nothing time- or host-dependent, so rebuilding
// from the same inputs gives byte-identical files. Every file is written atomically (temp +
// rename); the manifest is written last, so a reader never sees a manifest whose shards are
// missing.
//
// Shard layout (little-endian):
//   "VLQSHRD1" | u64 examples | u64 tokens | u64 pixel_floats | u64 text_bytes
//   | examples × record{u64 token_offset, u64 token_count, u64 text_offset, u64 text_size,
//                      i64 sample_index, i64 untruncated_length, i64 grid_t, i64 grid_h,
//                      i64 grid_w, u64 pixel_offset, u64 pixel_count}
//   | i32 input_ids[tokens] | i32 labels[tokens] | f32 pixel_values[pixel_floats]
//   | u8 prompt_text[text_bytes]
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "vlq/core/json.hpp"
#include "vlq/data/loader.hpp"

namespace vlq::data {

inline constexpr int64_t kExamplesPerShard = 2048;
inline constexpr const char* kManifestFileName = "manifest.json";

struct DatasetInfo {
  std::string split;  // "calib" | "eval"
  std::string tokenizer_fingerprint;
  std::string chat_template_fingerprint;
  Json config;  // the build configuration; hashed into config_hash
  std::vector<std::filesystem::path> source_files;
  Json report = Json::object();  // counts such as duplicates_dropped, overlap_excluded
};

// Writes dir/manifest.json and dir/shard-*.bin (creating dir); removes shards of an earlier
// build that the new manifest does not list.
void write_dataset(const std::filesystem::path& dir, const Loader& loader, const DatasetInfo& info);

struct Dataset {
  Loader loader;  // batch order (batch_size, shuffle, seed, bucketing) as recorded
  Json manifest;
};

// Reads a dataset back; a missing/corrupt manifest or shard (bad magic, sizes that do not add
// up, sha256 mismatch, indices out of range) → vlq::Error naming the file.
Dataset read_dataset(const std::filesystem::path& dir);

// sha256 of a file's bytes (hex).
std::string sha256_of_file(const std::filesystem::path& path);

}  // namespace vlq::data
