#pragma once
// Index bookkeeping of the Qwen2.5-VL vision tower that needs no weights: the per-image grids,
// the window permutation (get_window_index in transformers' modeling_qwen2_5_vl.py) and the
// cu_seqlens segment boundaries of full and window attention. Pure functions so they can be
// checked against worked examples without a checkpoint.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace vlq::model {

// One image (or video) in patch units, as in `image_grid_thw` rows.
struct VisionGrid {
  int64_t t = 0;
  int64_t h = 0;
  int64_t w = 0;
  int64_t patches() const { return t * h * w; }
};

// Splits a flat [n, 3] image_grid_thw into grids. Checks: length a positive multiple of 3, every
// value positive, h and w divisible by `merge_size`. `origin` names the input in the one-line
// vlq::Error ("<origin>: image 1: grid h 15 is not divisible by spatial_merge_size 2").
std::vector<VisionGrid> parse_vision_grids(std::span<const int64_t> grid_thw, int64_t merge_size,
                                           std::string_view origin = "image_grid_thw");

// Σ t·h·w over the grids (the number of pixel_values rows they describe).
int64_t total_patches(std::span<const VisionGrid> grids);

struct WindowLayout {
  // window_index[j] = the merged cell (group of merge² consecutive patch rows, counted over all
  // images/frames in processor order) that goes to position j of the window-ordered sequence.
  std::vector<int64_t> window_index;
  // Window attention segments in patch rows of the window-ordered sequence: starts with 0, ends
  // with total_patches, consecutive duplicates removed (torch.unique_consecutive in HF).
  std::vector<int32_t> cu_window_seqlens;
};

// `window_cells` = window_size / spatial_merge_size / patch_size (4 for Qwen2.5-VL): the side of
// a window in merged cells. Each frame's merged grid is padded up to whole windows (HF pads by
// a full window when already aligned; the extra windows are empty and only produce duplicates in
// cu_window_seqlens, which are removed).
WindowLayout compute_window_layout(std::span<const VisionGrid> grids, int64_t merge_size,
                                   int64_t window_cells);

// Full-attention segments: one per frame of each image, [0, h·w, 2·h·w, ...] cumulated over
// images (patch rows). Window ordering keeps frames contiguous, so these apply after permuting.
std::vector<int32_t> full_attention_cu_seqlens(std::span<const VisionGrid> grids);

// Inverse permutation (argsort of a permutation of 0..n-1): inverse[perm[j]] = j.
std::vector<int64_t> invert_permutation(std::span<const int64_t> perm);

}  // namespace vlq::model
