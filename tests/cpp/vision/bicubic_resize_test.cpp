// Bicubic resampling vs values produced by Pillow 13 `Image.resize(…, Image.BICUBIC)` (computed
// with PIL and pasted here). The broad randomized comparison runs in
// tests/python/test_vision_processor.py::test_bicubic_matches_pillow.
#include <gtest/gtest.h>

#include "vlq/vision/bicubic_resize.hpp"

namespace vlq::vision {
namespace {

RgbImage row_image() {
  // One row of 5 pixels: black, white, (10,200,30), (90,60,250), red.
  return {5, 1, {0, 0, 0, 255, 255, 255, 10, 200, 30, 90, 60, 250, 255, 0, 0}};
}

TEST(BicubicResize, DownscaleMatchesPillow) {
  const RgbImage out = resize_bicubic(row_image(), 3, 1);
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{111, 112, 106, 81, 194, 142, 181, 19, 104}));
}

TEST(BicubicResize, UpscaleMatchesPillow) {
  const RgbImage out = resize_bicubic(row_image(), 8, 1);
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{0, 0, 0, 113, 103, 112, 253, 255, 253, 79, 234, 84,
                                              8, 160, 82, 82, 67, 248, 194, 17, 110, 255, 0, 0}));
}

TEST(BicubicResize, VerticalDownscaleWithHorizontalUpscaleMatchesPillow) {
  // The transposed row (5 tall, 1 wide) resized to 2 wide × 3 tall.
  RgbImage column = row_image();
  column.width = 1;
  column.height = 5;
  const RgbImage out = resize_bicubic(column, 2, 3);
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{111, 112, 106, 111, 112, 106, 81, 194, 142,
                                              81, 194, 142, 181, 19, 104, 181, 19, 104}));
}

TEST(BicubicResize, SameSizeIsACopy) {
  const RgbImage out = resize_bicubic(row_image(), 5, 1);
  EXPECT_EQ(out.pixels, row_image().pixels);
}

}  // namespace
}  // namespace vlq::vision
