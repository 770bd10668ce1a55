// smart_resize against the test vectors of transformers 4.57.6 (reference §3.2; the Python test
// test_vision_processor.py::test_smart_resize_matches_transformers checks ~900 more against the
// installed transformers function itself).
#include <gtest/gtest.h>

#include "vlq/core/error.hpp"
#include "vlq/vision/smart_resize.hpp"

namespace vlq::vision {
namespace {

constexpr ResizeBounds kQwen25Vl{3136, 12845056};

struct Case {
  int64_t width, height, expected_height, expected_width;
};

TEST(SmartResize, ReferenceVectors) {
  const Case cases[] = {
      {640, 480, 476, 644},    {1920, 1080, 1092, 1932}, {2048, 1365, 1372, 2044},
      {224, 224, 224, 224},    {500, 333, 336, 504},     {50, 50, 56, 56},
      {42, 42, 56, 56},        {70, 70, 56, 56},         {28, 28, 56, 56},
      {98, 98, 112, 112},      {4000, 3000, 2996, 4004}, {8000, 6000, 3080, 4116},
      {20, 20, 56, 56},        {100, 25, 28, 112},
  };
  for (const Case& c : cases) {
    const ResizedSize s = smart_resize(c.height, c.width, 28, kQwen25Vl, "t");
    EXPECT_EQ(s.height, c.expected_height) << c.width << "x" << c.height;
    EXPECT_EQ(s.width, c.expected_width) << c.width << "x" << c.height;
  }
}

TEST(SmartResize, RoundsHalfToEvenLikePython) {
  // 70/28 = 2.5 → 2 and 126/28 = 4.5 → 4 (std::round would give 3 and 5).
  EXPECT_EQ(smart_resize(70, 126, 28, {1, 1 << 30}, "t").height, 56);
  EXPECT_EQ(smart_resize(70, 126, 28, {1, 1 << 30}, "t").width, 112);
}

TEST(SmartResize, AspectRatioLimit) {
  EXPECT_NO_THROW(smart_resize(5, 1000, 28, kQwen25Vl, "t"));  // exactly 200 is allowed
  try {
    smart_resize(5, 1001, 28, kQwen25Vl, "wide.png");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("wide.png: absolute aspect ratio must be smaller than 200", 0), 0u)
        << e.what();
  }
}

TEST(SmartResize, DownscaleClampsToOneFactor) {
  // 5600x28 with a small budget: the short side would floor to 0 and is clamped to 28.
  const ResizedSize s = smart_resize(28, 5600, 28, {3136, 28 * 28 * 20}, "t");
  EXPECT_EQ(s.height, 28);
  EXPECT_EQ(s.width % 28, 0);
}

}  // namespace
}  // namespace vlq::vision
