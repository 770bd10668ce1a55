#pragma once
// 2-D rotary position embedding of the Qwen2.5-VL vision tower (Qwen2_5_VisionRotaryEmbedding +
// rot_pos_emb + apply_rotary_pos_emb_vision in transformers): each patch gets angles
// (y·inv_freq, x·inv_freq) from its patch-grid coordinates, the table is duplicated to head_dim
// (emb = cat(rot, rot)); q/k then rotate with kernels::apply_rope (rotate_half over the head).
#include <cstdint>
#include <span>
#include <vector>

#include "vlq/model/vision_windows.hpp"

namespace vlq::model {

// inv_freq[i] = 1 / theta^(2i / (head_dim/2)), i < head_dim/4, in fp32 like HF's buffer.
// head_dim must be a positive multiple of 4 (else HF's table would not match head_dim).
std::vector<float> vision_rotary_inv_freq(int64_t head_dim, double theta = 10000.0);

// Angles [N, head_dim/2] for the patch rows in processor order (images concatenated, each
// frame repeating the same (y, x)): columns [0, head_dim/4) = y·inv_freq, the rest x·inv_freq.
// y = bh·m + mh and x = bw·m + mw for the row ((bh·W/m + bw)·m + mh)·m + mw of a frame.
std::vector<float> vision_rotary_angles(std::span<const VisionGrid> grids, int64_t merge_size,
                                        int64_t head_dim, double theta = 10000.0);

// cos/sin tables [N, head_dim] of emb = cat(angles, angles), with rows already in window order:
// row block j (merge_unit rows) comes from angle row block window_index[j].
struct VisionRotaryTable {
  int64_t head_dim = 0;
  std::vector<float> cos;
  std::vector<float> sin;
};
VisionRotaryTable vision_rotary_table(std::span<const float> angles, int64_t head_dim,
                                      std::span<const int64_t> window_index, int64_t merge_unit);

}  // namespace vlq::model
