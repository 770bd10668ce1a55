#pragma once
// config.json of Qwen2.5-VL in both layouts: the flat 4.x layout of the published checkpoint
// (text fields at top level + `vision_config`) and the nested layout transformers 4.57
// save_pretrained writes (`text_config` + `vision_config`; nested values win over top level).
// Missing optional keys take the Qwen2.5-VL defaults; present but invalid values (wrong type,
// non-positive, hidden not divisible by heads, heads not divisible by kv heads, mrope_section not
// summing to head_dim/2, ...) → vlq::Error "<config.json>: <key>: <what>".
#include <array>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "vlq/core/json.hpp"

namespace vlq::model {

struct TextConfig {
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;  // hidden_size / num_attention_heads unless given explicitly
  double rms_norm_eps = 1e-6;
  double rope_theta = 1000000.0;
  std::array<int64_t, 3> mrope_section{16, 24, 24};  // temporal, height, width (sum = head_dim/2)
  int64_t vocab_size = 0;
  bool tie_word_embeddings = false;
  int64_t bos_token_id = 151643;
  int64_t eos_token_id = 151645;
  int64_t pad_token_id = 151643;  // tokenizer pad (<|endoftext|>); config rarely has it
  int64_t image_token_id = 151655;
  int64_t video_token_id = 151656;
  int64_t vision_start_token_id = 151652;
  int64_t vision_end_token_id = 151653;
};

struct VisionConfig {
  int64_t depth = 0;
  int64_t hidden_size = 0;
  int64_t num_heads = 0;
  int64_t intermediate_size = 0;
  int64_t patch_size = 14;
  int64_t temporal_patch_size = 2;
  int64_t spatial_merge_size = 2;
  int64_t window_size = 112;
  std::vector<int64_t> fullatt_block_indexes;
  int64_t out_hidden_size = 0;
  int64_t in_chans = 3;
  double rms_norm_eps = 1e-6;

  int64_t head_dim() const { return hidden_size / num_heads; }
  int64_t patch_dim() const { return in_chans * temporal_patch_size * patch_size * patch_size; }
};

struct ModelConfig {
  TextConfig text;
  VisionConfig vision;
  std::filesystem::path source;  // the config.json it came from
};

// Reads `<dir>/config.json` (or the file itself if `path` is a file).
ModelConfig load_config(const std::filesystem::path& path);
// `origin` names the file in error messages.
ModelConfig parse_config(const Json& json, const std::filesystem::path& origin);

}  // namespace vlq::model
