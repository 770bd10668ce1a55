// ImageProcessor: config parsing against the real checkpoint file, patch order per the HF
// reshape/transpose (reference §3.5), normalised values per HF's own outputs for 0 and 255, and
// file-named errors. Bit-exact parity with transformers is in tests/python/test_vision_processor.py.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "test_images.hpp"
#include "vlq/core/error.hpp"
#include "vlq/vision/image_processor.hpp"

namespace vlq::vision {
namespace {

using testing::encode_png;
using testing::TempDir;

std::filesystem::path checkpoint_dir() {
  const char* root = std::getenv("VLQ_DATA_ROOT");
  const std::filesystem::path data =
      root != nullptr ? std::filesystem::path(root)
                      : std::filesystem::path(VLQ_SOURCE_DIR) / ".." / "shared" / "data";
  return data / "qwen2_5_vl_3b_instruct";
}

TEST(ImageProcessorConfig, ReadsTheCheckpointFile) {
  const auto c = ImageProcessorConfig::from_directory(checkpoint_dir());
  EXPECT_EQ(c.bounds.min_pixels, 3136);
  EXPECT_EQ(c.bounds.max_pixels, 12845056);
  EXPECT_EQ(c.patch_size, 14);
  EXPECT_EQ(c.temporal_patch_size, 2);
  EXPECT_EQ(c.merge_size, 2);
  EXPECT_DOUBLE_EQ(c.image_mean[0], 0.48145466);
  EXPECT_DOUBLE_EQ(c.image_std[2], 0.27577711);
  EXPECT_EQ(c.patch_dim(), 1176);
}

TEST(ImageProcessorConfig, BadFilesNameThemselves) {
  TempDir dir;
  for (const std::string& body : {std::string("{\"min_pixels\": -3}"), std::string("[1]"),
                                  std::string("{\"image_mean\": [1, 2]}"), std::string("{oops"),
                                  std::string("{\"size\": {\"shortest_edge\": 5}}")}) {
    const auto p = dir.write("preprocessor_config.json", body);
    try {
      ImageProcessorConfig::from_file(p);
      FAIL() << "accepted " << body;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(p.string() + ": ", 0), 0u) << e.what();
    }
  }
}

TEST(ImageProcessor, ConstantImagesGiveHfValues) {
  // transformers 4.57.6 Qwen2VLImageProcessor on a 56×56 image of 0s / 255s gives these float32
  // values per channel (printed from the real processor).
  const ImageProcessor processor(ImageProcessorConfig::from_directory(checkpoint_dir()));
  const float expected[2][3] = {{-1.7922625541687012f, -1.7520971298217773f, -1.480219841003418f},
                                {1.9303361177444458f, 2.0748836994171143f, 2.1458969116210938f}};
  for (int level : {0, 1}) {
    RgbImage image{56, 56, std::vector<uint8_t>(56 * 56 * 3, level == 0 ? 0 : 255)};
    const ProcessedImage out = processor.process_rgb(image, "flat");
    ASSERT_EQ(out.grid_thw, (std::array<int64_t, 3>{1, 4, 4}));
    ASSERT_EQ(out.pixel_values.size(), 16u * 1176u);
    for (size_t i = 0; i < out.pixel_values.size(); ++i) {
      ASSERT_EQ(out.pixel_values[i], expected[level][(i % 1176) / 392]) << i;
    }
  }
}

TEST(ImageProcessor, PatchOrderFollowsHfTranspose) {
  // 56×56 needs no resize. R encodes the row, G the column (×4), so every value tells where it
  // came from. Row r = ((bh·2 + bw)·2 + mh)·2 + mw for a 4×4 grid; column k = ((c·2 + t)·14 + ph)·14 + pw.
  RgbImage image{56, 56, std::vector<uint8_t>(56 * 56 * 3, 0)};
  for (int y = 0; y < 56; ++y) {
    for (int x = 0; x < 56; ++x) {
      image.pixels[(y * 56 + x) * 3 + 0] = static_cast<uint8_t>(y * 4);
      image.pixels[(y * 56 + x) * 3 + 1] = static_cast<uint8_t>(x * 4);
    }
  }
  const auto config = ImageProcessorConfig::from_directory(checkpoint_dir());
  const ImageProcessor processor(config);
  const ProcessedImage out = processor.process_rgb(image, "pattern");
  auto level = [&](float v, int c) {
    return static_cast<int>(std::lround((v * config.image_std[c] + config.image_mean[c]) * 255.0));
  };
  for (int bh = 0; bh < 2; ++bh)
    for (int bw = 0; bw < 2; ++bw)
      for (int mh = 0; mh < 2; ++mh)
        for (int mw = 0; mw < 2; ++mw) {
          const int r = ((bh * 2 + bw) * 2 + mh) * 2 + mw;
          for (int t = 0; t < 2; ++t)
            for (int ph = 0; ph < 14; ++ph)
              for (int pw = 0; pw < 14; ++pw) {
                const int y = (bh * 2 + mh) * 14 + ph, x = (bw * 2 + mw) * 14 + pw;
                const float* row = &out.pixel_values[static_cast<size_t>(r) * 1176];
                ASSERT_EQ(level(row[((0 * 2 + t) * 14 + ph) * 14 + pw], 0), y * 4);
                ASSERT_EQ(level(row[((1 * 2 + t) * 14 + ph) * 14 + pw], 1), x * 4);
                ASSERT_EQ(level(row[((2 * 2 + t) * 14 + ph) * 14 + pw], 2), 0);
              }
        }
}

TEST(ImageProcessor, OverrideBoundsAndTokenCount) {
  const ImageProcessor processor(ImageProcessorConfig::from_directory(checkpoint_dir()));
  RgbImage image{640, 480, std::vector<uint8_t>(640 * 480 * 3, 77)};
  const ProcessedImage full = processor.process_rgb(image, "x");
  EXPECT_EQ(full.grid_thw, (std::array<int64_t, 3>{1, 34, 46}));
  EXPECT_EQ(processor.num_image_tokens(full), 391);
  EXPECT_EQ(full.original_width, 640);
  EXPECT_EQ(full.original_height, 480);
  const ResizeBounds small{3136, 28 * 28 * 16};
  const ProcessedImage reduced = processor.process_rgb(image, "x", &small);
  EXPECT_LE(reduced.grid_thw[1] * reduced.grid_thw[2] * 14 * 14, small.max_pixels);
  EXPECT_EQ(reduced.pixel_values.size(),
            static_cast<size_t>(reduced.grid_thw[1] * reduced.grid_thw[2] * 1176));
}

TEST(ImageProcessor, ErrorsNameTheFile) {
  TempDir dir;
  const ImageProcessor processor(ImageProcessorConfig::from_directory(checkpoint_dir()));
  const auto wide = dir.write("wide.png", encode_png(201, 1, 8, 0, {std::string(201, '\x10')}));
  try {
    processor.process_file(wide);
    FAIL() << "expected an aspect-ratio error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(wide.string() + ": absolute aspect ratio", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace vlq::vision
