#pragma once
// M-RoPE position ids exactly as transformers 4.57.6 `Qwen2_5_VLModel.get_rope_index` computes
// them for images (videos are not produced by vlq; a video token without a grid is an error):
// text runs advance all three axes together; each image's <|image_pad|> run gets
// (t, h, w) = (0, row, col) over the merged grid offset by the running text position; padding
// (attention_mask == 0) positions are 1 on every axis, as HF fills them.
#include <cstdint>
#include <span>
#include <vector>

namespace vlq::data {

struct MropeTokenIds {
  int64_t vision_start = 151652;
  int64_t image = 151655;
  int64_t video = 151656;
};

struct MropePositions {
  std::vector<int64_t> position_ids;  // [3, B, L]
  std::vector<int64_t> rope_deltas;   // [B]: max position + 1 - L (HF's mrope_position_deltas)
};

// input_ids / attention_mask: [B, L] row-major (attention_mask may be empty = all ones).
// image_grid_thw: [n_images, 3], consumed in order across the batch as HF does.
// Inconsistent inputs (more image runs than grids, a run whose length does not match its grid)
// → vlq::Error.
MropePositions compute_mrope_positions(int64_t batch_size, int64_t seq_len,
                                       std::span<const int64_t> input_ids,
                                       std::span<const int64_t> attention_mask,
                                       std::span<const int64_t> image_grid_thw,
                                       int64_t spatial_merge_size,
                                       const MropeTokenIds& token_ids = {});

}  // namespace vlq::data
