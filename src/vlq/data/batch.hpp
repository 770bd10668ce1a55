#pragma once
// A collated batch: the unit that flows from the data layer to every consumer (C++ engine,
// Python bridge, on-disk dataset, ONNX Runtime feeds). Row-major, int64 like torch's LongTensor
// so the Python bridge can hand the buffers to numpy/torch without conversion.
#include <cstdint>
#include <string>
#include <vector>

namespace vlq::data {

inline constexpr int64_t kIgnoreLabel = -100;

struct Batch {
  int64_t batch_size = 0;
  int64_t seq_len = 0;
  std::vector<int64_t> input_ids;       // [B, L], right-padded with pad_token_id
  std::vector<int64_t> attention_mask;  // [B, L], 1 = real token, 0 = padding
  std::vector<int64_t> labels;          // [B, L], kIgnoreLabel on padding (and prompt in caption mode)
  std::vector<int64_t> position_ids;    // [3, B, L] M-RoPE ids as HF get_rope_index computes them
  std::vector<float> pixel_values;      // [num_patches, 1176], images concatenated in order
  std::vector<int64_t> image_grid_thw;  // [num_images, 3]
  std::vector<std::string> prompt_text; // [B] the rendered chat-template text of each row
  std::vector<int64_t> sample_index;    // [B] index of each row's sample in its source
};

}  // namespace vlq::data
