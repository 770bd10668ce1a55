#pragma once
// The Qwen2.5-VL vision tower (Qwen2_5_VisionTransformerPretrainedModel, transformers 4.57) in
// fp32: patch embed (the Conv3d as a Linear over the 1176 pixel columns), 2-D RoPE, window
// permutation, `depth` pre-norm blocks with window or full (per-frame) non-causal attention,
// patch merger, un-permutation. Output rows are merged cells in HF order: per image, per frame,
// merged row-major; images concatenated. Every Linear goes through the LinearInterceptor with
// its HF module name (legacy spelling, "visual.blocks.3.attn.qkv").
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "vlq/model/checkpoint.hpp"
#include "vlq/model/config.hpp"
#include "vlq/model/linear_hooks.hpp"
#include "vlq/model/vision_windows.hpp"

namespace vlq::model {

class VisionTower {
 public:
  // Checks every `visual.*` tensor shape against `config` up front (vlq::Error naming the file
  // and tensor). `checkpoint` must outlive the tower. With cache_f32_weights the widened fp32
  // weights are kept (~4 B/param: 2.7 GB for the 3B tower); otherwise each encode widens one
  // block at a time from the memory-mapped checkpoint.
  VisionTower(const Checkpoint& checkpoint, const VisionConfig& config,
              bool cache_f32_weights = false);
  VisionTower(VisionTower&&) noexcept;
  VisionTower& operator=(VisionTower&&) noexcept;
  ~VisionTower();

  const VisionConfig& config() const;

  // pixel_values: [N, config.patch_dim()] row-major (processor order), image_grid_thw: [n, 3]
  // (t, h, w in patches). Returns [N / merge², out_hidden_size]. Bad shapes → one-line
  // vlq::Error naming "pixel_values" or "image_grid_thw".
  std::vector<float> encode(std::span<const float> pixel_values,
                            std::span<const int64_t> image_grid_thw,
                            LinearInterceptor* hooks = nullptr) const;

  // Rows encode() returns for these grids (Σ t·h·w / merge²), after validating them.
  int64_t output_rows(std::span<const int64_t> image_grid_thw) const;

  // Every Linear of the tower in execution order: patch_embed, per block qkv, proj, gate_proj,
  // up_proj, down_proj, then merger.mlp.0, merger.mlp.2.
  std::vector<LinearOp> linear_ops() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// window_size / spatial_merge_size / patch_size: side of an attention window in merged cells.
int64_t vision_window_cells(const VisionConfig& config);

}  // namespace vlq::model
