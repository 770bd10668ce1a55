#pragma once
// Examples → Batch: right padding with pad_token_id, attention_mask, labels with -100 on
// padding, M-RoPE position_ids [3,B,L] (compute_mrope_positions: for text-only rows this is
// HF's cumsum(mask)-1 with pads = 1), pixel_values concatenated and image_grid_thw stacked in
// row order, prompt text and sample index kept.
#include <cstddef>
#include <cstdint>
#include <span>

#include "vlq/data/batch.hpp"
#include "vlq/data/example.hpp"

namespace vlq::data {

inline constexpr int64_t kSpatialMergeSize = 2;  // Qwen2.5-VL vision_config.spatial_merge_size

// Rows are examples[rows[i]]. The batch is as long as its longest row.
Batch collate(std::span<const Example> examples, std::span<const size_t> rows, int64_t pad_token_id);

}  // namespace vlq::data
