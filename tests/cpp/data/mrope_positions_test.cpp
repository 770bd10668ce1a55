// M-RoPE positions vs the worked example of reference §4.1 (derived from transformers'
// get_rope_index; the Python test tests/python/test_vision_mrope.py compares against the real
// transformers function on padded batches).
#include <gtest/gtest.h>

#include "vlq/core/error.hpp"
#include "vlq/data/mrope_positions.hpp"

namespace vlq::data {
namespace {

constexpr int64_t kVisionStart = 151652, kVisionEnd = 151653, kImage = 151655, kPad = 151643;

TEST(MropePositions, TextOnlyWithoutMaskIsArange) {
  const std::vector<int64_t> ids = {1, 2, 3, 4};
  const MropePositions p = compute_mrope_positions(1, 4, ids, {}, {}, 2);
  EXPECT_EQ(p.position_ids, (std::vector<int64_t>{0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}));
  EXPECT_EQ(p.rope_deltas, (std::vector<int64_t>{0}));
}

TEST(MropePositions, TextOnlyPaddingGetsOne) {
  const std::vector<int64_t> ids = {5, 6, 7, kPad, kPad, 8, 9, 10, 11, 12};
  const std::vector<int64_t> mask = {1, 1, 1, 0, 0, 1, 1, 1, 1, 1};
  const MropePositions p = compute_mrope_positions(2, 5, ids, mask, {}, 2);
  const std::vector<int64_t> plane = {0, 1, 2, 1, 1, 0, 1, 2, 3, 4};
  for (int a = 0; a < 3; ++a) {
    EXPECT_EQ(std::vector<int64_t>(p.position_ids.begin() + a * 10, p.position_ids.begin() + a * 10 + 10), plane);
  }
  EXPECT_EQ(p.rope_deltas, (std::vector<int64_t>{-2, 0}));
}

TEST(MropePositions, ReferenceWorkedExample640x480) {
  // 15 text tokens ending in <|vision_start|>, 391 image tokens (grid 1×34×46), <|vision_end|>, 5 more.
  std::vector<int64_t> ids(14, 100);
  ids.push_back(kVisionStart);
  ids.insert(ids.end(), 391, kImage);
  ids.push_back(kVisionEnd);
  ids.insert(ids.end(), 5, 200);
  const int64_t L = static_cast<int64_t>(ids.size());
  const std::vector<int64_t> grid = {1, 34, 46};
  const MropePositions p = compute_mrope_positions(1, L, ids, {}, grid, 2);
  auto at = [&](int axis, int64_t i) { return p.position_ids[axis * L + i]; };
  for (int64_t i = 0; i < 15; ++i) EXPECT_EQ(at(0, i), i);
  EXPECT_EQ(at(0, 15), 15);
  EXPECT_EQ(at(1, 15), 15);
  EXPECT_EQ(at(2, 15), 15);
  EXPECT_EQ(at(2, 15 + 22), 37);         // last column of the first merged row
  EXPECT_EQ(at(1, 15 + 23), 16);         // second merged row
  EXPECT_EQ(at(1, 405), 31);             // last image token: row 16, col 22
  EXPECT_EQ(at(2, 405), 37);
  EXPECT_EQ(at(0, 405), 15);
  EXPECT_EQ(at(0, 406), 38);             // <|vision_end|> = 15 + max(17, 23)
  EXPECT_EQ(at(2, L - 1), 38 + 5);
  EXPECT_EQ(p.rope_deltas, (std::vector<int64_t>{38 + 6 - L}));
}

TEST(MropePositions, InconsistentInputsAreErrors) {
  std::vector<int64_t> ids = {kVisionStart, kImage, kImage, kVisionEnd};
  const std::vector<int64_t> two_images = {kVisionStart, kImage, kVisionEnd, kVisionStart, kImage, kVisionEnd};
  EXPECT_THROW(compute_mrope_positions(1, 6, two_images, {}, std::vector<int64_t>{1, 2, 2}, 2), Error)
      << "two images, one grid";
  EXPECT_THROW(compute_mrope_positions(1, 4, ids, {}, std::vector<int64_t>{1, 4, 4}, 2), Error)
      << "grid of 4 tokens does not fit";
  EXPECT_THROW(compute_mrope_positions(1, 3, ids, {}, {}, 2), Error) << "shape mismatch";
  EXPECT_THROW(compute_mrope_positions(1, 4, ids, std::vector<int64_t>{1, 2, 1, 1}, {}, 2), Error);
}

}  // namespace
}  // namespace vlq::data
