#include "vlq/model/vision_windows.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "vlq/core/error.hpp"

namespace vlq::model {
namespace {

[[noreturn]] void bad_grid(std::string_view origin, const std::string& what) {
  throw Error(std::string(origin) + ": " + what);
}

// cu_seqlens are int32 in HF (flash-attention's type); refuse inputs that would not fit.
int32_t checked_i32(int64_t v, std::string_view what) {
  if (v > std::numeric_limits<int32_t>::max()) {
    throw Error(std::string(what) + ": " + std::to_string(v) + " patch rows exceed int32");
  }
  return static_cast<int32_t>(v);
}

}  // namespace

std::vector<VisionGrid> parse_vision_grids(std::span<const int64_t> grid_thw, int64_t merge_size,
                                           std::string_view origin) {
  if (grid_thw.empty() || grid_thw.size() % 3 != 0) {
    bad_grid(origin, "expected [n, 3] (t, h, w) rows with n >= 1, got " +
                         std::to_string(grid_thw.size()) + " values");
  }
  // Bound each value so t·h·w cannot overflow int64 (2^20 patches per side is ~14.7M pixels).
  constexpr int64_t kMaxSide = int64_t{1} << 20;
  std::vector<VisionGrid> grids;
  grids.reserve(grid_thw.size() / 3);
  for (size_t i = 0; i < grid_thw.size(); i += 3) {
    const VisionGrid g{grid_thw[i], grid_thw[i + 1], grid_thw[i + 2]};
    const std::string image = "image " + std::to_string(i / 3);
    if (g.t <= 0 || g.h <= 0 || g.w <= 0 || g.t > kMaxSide || g.h > kMaxSide || g.w > kMaxSide) {
      bad_grid(origin, image + ": grid (" + std::to_string(g.t) + ", " + std::to_string(g.h) +
                           ", " + std::to_string(g.w) + ") must be positive and at most 2^20");
    }
    if (g.h % merge_size != 0 || g.w % merge_size != 0) {
      bad_grid(origin, image + ": grid h " + std::to_string(g.h) + " and w " +
                           std::to_string(g.w) + " must be divisible by spatial_merge_size " +
                           std::to_string(merge_size));
    }
    grids.push_back(g);
  }
  return grids;
}

int64_t total_patches(std::span<const VisionGrid> grids) {
  int64_t n = 0;
  for (const auto& g : grids) n += g.patches();
  return n;
}

WindowLayout compute_window_layout(std::span<const VisionGrid> grids, int64_t merge_size,
                                   int64_t window_cells) {
  if (merge_size <= 0 || window_cells <= 0) {
    throw Error("vision window layout: merge size " + std::to_string(merge_size) +
                " and window cells " + std::to_string(window_cells) + " must be positive");
  }
  const int64_t unit = merge_size * merge_size;  // patch rows per merged cell
  WindowLayout out;
  out.cu_window_seqlens.push_back(0);
  int64_t cell_offset = 0;  // merged cells of previous images
  int64_t row_end = 0;      // patch rows emitted so far
  for (const auto& g : grids) {
    const int64_t hm = g.h / merge_size;
    const int64_t wm = g.w / merge_size;
    // HF pads by `window_cells - dim % window_cells`, i.e. a whole empty window when aligned.
    const int64_t nwh = (hm + window_cells - hm % window_cells) / window_cells;
    const int64_t nww = (wm + window_cells - wm % window_cells) / window_cells;
    for (int64_t t = 0; t < g.t; ++t) {
      for (int64_t wy = 0; wy < nwh; ++wy) {
        for (int64_t wx = 0; wx < nww; ++wx) {
          int64_t cells = 0;
          for (int64_t y = wy * window_cells; y < std::min(hm, (wy + 1) * window_cells); ++y) {
            for (int64_t x = wx * window_cells; x < std::min(wm, (wx + 1) * window_cells); ++x) {
              out.window_index.push_back(cell_offset + (t * hm + y) * wm + x);
              ++cells;
            }
          }
          row_end += cells * unit;
          // Empty (all-padding) windows repeat the previous boundary; drop them like
          // torch.unique_consecutive does.
          if (row_end != out.cu_window_seqlens.back()) {
            out.cu_window_seqlens.push_back(checked_i32(row_end, "vision window layout"));
          }
        }
      }
    }
    cell_offset += g.t * hm * wm;
  }
  return out;
}

std::vector<int32_t> full_attention_cu_seqlens(std::span<const VisionGrid> grids) {
  std::vector<int32_t> cu{0};
  int64_t end = 0;
  for (const auto& g : grids) {
    for (int64_t t = 0; t < g.t; ++t) {
      end += g.h * g.w;
      cu.push_back(checked_i32(end, "vision full attention"));
    }
  }
  return cu;
}

std::vector<int64_t> invert_permutation(std::span<const int64_t> perm) {
  std::vector<int64_t> inverse(perm.size(), -1);
  for (size_t j = 0; j < perm.size(); ++j) {
    const int64_t p = perm[j];
    if (p < 0 || static_cast<size_t>(p) >= perm.size() || inverse[static_cast<size_t>(p)] != -1) {
      throw Error("invert_permutation: input is not a permutation of 0.." +
                  std::to_string(perm.size() - 1));
    }
    inverse[static_cast<size_t>(p)] = static_cast<int64_t>(j);
  }
  return inverse;
}

}  // namespace vlq::model
