// Window permutation and attention segments of the vision tower, checked against the worked
// examples of the reference notes §6 (facts taken from running HF's get_window_index), plus
// properties that must hold for any grid and the input errors.
#include "vlq/model/vision_windows.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "vlq/core/error.hpp"
#include "vlq/model/vision_rotary.hpp"

namespace vlq::model {
namespace {

constexpr int64_t kMerge = 2;
constexpr int64_t kWindowCells = 112 / 2 / 14;  // window_size / merge / patch

TEST(VisionWindows, Reference640x480) {
  // 640×480 → smart_resize 644×476 → grid (1, 34, 46), merged 17×23: 5×6 windows.
  const std::vector<int64_t> thw{1, 34, 46};
  const auto grids = parse_vision_grids(thw, kMerge);
  const auto layout = compute_window_layout(grids, kMerge, kWindowCells);
  const std::vector<int64_t> head{0, 1, 2, 3, 23, 24, 25, 26, 46, 47, 48, 49, 69, 70, 71, 72, 4, 5};
  ASSERT_EQ(layout.window_index.size(), 17u * 23u);
  EXPECT_TRUE(std::equal(head.begin(), head.end(), layout.window_index.begin()));
  const std::vector<int32_t> cu{0,    64,   128,  192,  256,  320,  368,  432,  496,  560, 624,
                                688,  736,  800,  864,  928,  992,  1056, 1104, 1168, 1232, 1296,
                                1360, 1424, 1472, 1488, 1504, 1520, 1536, 1552, 1564};
  EXPECT_EQ(layout.cu_window_seqlens, cu);
  EXPECT_EQ(full_attention_cu_seqlens(grids), (std::vector<int32_t>{0, 34 * 46}));
}

TEST(VisionWindows, Reference224x224AlignedGridDropsEmptyPaddingWindows) {
  // Merged 8×8 is already a multiple of 4, HF still pads a whole empty window row/column;
  // those empty windows must not appear as repeated boundaries.
  const std::vector<int64_t> thw{1, 16, 16};
  const auto grids = parse_vision_grids(thw, kMerge);
  const auto layout = compute_window_layout(grids, kMerge, kWindowCells);
  EXPECT_EQ(layout.cu_window_seqlens, (std::vector<int32_t>{0, 64, 128, 192, 256}));
  const std::vector<int64_t> first_window{0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27};
  EXPECT_TRUE(std::equal(first_window.begin(), first_window.end(), layout.window_index.begin()));
}

TEST(VisionWindows, MultiImageAndMultiFrameOffsets) {
  // Image 0: 2 frames of merged 2×3 (one partial window per frame); image 1: merged 1×1.
  const std::vector<int64_t> thw{2, 4, 6, 1, 2, 2};
  const auto grids = parse_vision_grids(thw, kMerge);
  EXPECT_EQ(total_patches(grids), 2 * 4 * 6 + 4);
  const auto layout = compute_window_layout(grids, kMerge, kWindowCells);
  EXPECT_EQ(layout.window_index, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
  EXPECT_EQ(layout.cu_window_seqlens, (std::vector<int32_t>{0, 24, 48, 52}));
  EXPECT_EQ(full_attention_cu_seqlens(grids), (std::vector<int32_t>{0, 24, 48, 52}));
}

TEST(VisionWindows, WindowIndexIsAPermutationAndWindowsAreContiguousCells) {
  const std::vector<int64_t> thw{1, 22, 10, 1, 8, 30};
  const auto grids = parse_vision_grids(thw, kMerge);
  const auto layout = compute_window_layout(grids, kMerge, kWindowCells);
  const auto cells = static_cast<int64_t>(total_patches(grids) / 4);
  ASSERT_EQ(static_cast<int64_t>(layout.window_index.size()), cells);
  const auto inverse = invert_permutation(layout.window_index);  // throws if not a permutation
  for (size_t j = 0; j < inverse.size(); ++j) {
    EXPECT_EQ(layout.window_index[static_cast<size_t>(inverse[j])], static_cast<int64_t>(j));
  }
  EXPECT_EQ(layout.cu_window_seqlens.back(), total_patches(grids));
  EXPECT_TRUE(std::is_sorted(layout.cu_window_seqlens.begin(), layout.cu_window_seqlens.end()));
  EXPECT_EQ(std::adjacent_find(layout.cu_window_seqlens.begin(), layout.cu_window_seqlens.end()),
            layout.cu_window_seqlens.end());
  // Every window holds at most 4×4 merged cells.
  for (size_t s = 1; s < layout.cu_window_seqlens.size(); ++s) {
    EXPECT_LE(layout.cu_window_seqlens[s] - layout.cu_window_seqlens[s - 1], 64);
  }
}

TEST(VisionWindows, BadGridsAreOneLineErrors) {
  auto message = [](std::vector<int64_t> thw) -> std::string {
    try {
      parse_vision_grids(thw, kMerge, "grid.json");
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(message({1, 15, 16}).rfind("grid.json: image 0: grid h 15 and w 16", 0), 0u);
  EXPECT_NE(message({1, 16, 16, 1, 16, 3}).find("image 1"), std::string::npos);
  EXPECT_NE(message({1, 16}).find("expected [n, 3]"), std::string::npos);
  EXPECT_NE(message({}).find("expected [n, 3]"), std::string::npos);
  EXPECT_NE(message({0, 16, 16}).find("must be positive"), std::string::npos);
  EXPECT_NE(message({1, -2, 16}).find("must be positive"), std::string::npos);
  EXPECT_NE(message({1, int64_t{1} << 40, 2}).find("at most"), std::string::npos);
  for (auto thw : {std::vector<int64_t>{1, 15, 16}, std::vector<int64_t>{1, 16}}) {
    EXPECT_EQ(message(thw).find('\n'), std::string::npos);
  }
  EXPECT_THROW(invert_permutation(std::vector<int64_t>{0, 0}), Error);
  EXPECT_THROW(invert_permutation(std::vector<int64_t>{0, 2}), Error);
}

TEST(VisionRotary, AnglesFollowProcessorPatchOrder) {
  // grid (1, 2, 4): merge blocks (0,0),(0,1); rows inside a block (0,0),(0,1),(1,0),(1,1).
  const std::vector<int64_t> thw{1, 2, 4};
  const auto grids = parse_vision_grids(thw, kMerge);
  const int64_t head_dim = 8;  // inv_freq = {1, 1/100}
  const auto inv = vision_rotary_inv_freq(head_dim);
  ASSERT_EQ(inv.size(), 2u);
  EXPECT_FLOAT_EQ(inv[0], 1.0f);
  EXPECT_FLOAT_EQ(inv[1], 0.01f);
  const auto angles = vision_rotary_angles(grids, kMerge, head_dim);
  const std::vector<std::pair<int, int>> yx{{0, 0}, {0, 1}, {1, 0}, {1, 1},
                                            {0, 2}, {0, 3}, {1, 2}, {1, 3}};
  ASSERT_EQ(angles.size(), yx.size() * 4);
  for (size_t r = 0; r < yx.size(); ++r) {
    EXPECT_FLOAT_EQ(angles[r * 4 + 0], static_cast<float>(yx[r].first));
    EXPECT_FLOAT_EQ(angles[r * 4 + 2], static_cast<float>(yx[r].second));
  }
  EXPECT_THROW(vision_rotary_inv_freq(18), Error);
}

}  // namespace
}  // namespace vlq::model
