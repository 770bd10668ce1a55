// write_patches / append_patches vs a direct transcription of HF's reshape/transpose index formula, with tables
// that encode (channel, level) in each value so any misplaced or mis-normalised value shows.
// Geometries cover the unrolled P = 14 path, odd patch sizes (blocks not a multiple of 16 bytes,
// so the memcpy path) and a destination that is not 16-byte aligned.
#include "vlq/vision/patchify.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace vlq::vision {
namespace {

NormalisationTables index_tables() {
  NormalisationTables t{};
  for (int c = 0; c < 3; ++c) {
    for (int v = 0; v < 256; ++v) t[c][v] = static_cast<float>(c * 1000 + v) + 0.25f;
  }
  return t;
}

RgbImage pattern(int64_t width, int64_t height) {
  RgbImage image{width, height, std::vector<uint8_t>(static_cast<size_t>(width * height * 3))};
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    image.pixels[i] = static_cast<uint8_t>((i * 7 + i / 5) % 251);
  }
  return image;
}

// out[(((bh·GW/M + bw)·M + mh)·M + mw), ((c·T + t)·P + ph)·P + pw] = table[c][pixel(y, x, c)]
// with y = (bh·M + mh)·P + ph, x = (bw·M + mw)·P + pw.
std::vector<float> reference(const RgbImage& image, const PatchGeometry& g,
                             const NormalisationTables& tables) {
  const int64_t p = g.patch, m = g.merge, t_count = g.temporal;
  const int64_t gh = image.height / p, gw = image.width / p;
  const int64_t row_len = 3 * t_count * p * p;
  std::vector<float> out(static_cast<size_t>(gh * gw * row_len));
  for (int64_t bh = 0; bh < gh / m; ++bh)
    for (int64_t bw = 0; bw < gw / m; ++bw)
      for (int64_t mh = 0; mh < m; ++mh)
        for (int64_t mw = 0; mw < m; ++mw)
          for (int64_t c = 0; c < 3; ++c)
            for (int64_t t = 0; t < t_count; ++t)
              for (int64_t ph = 0; ph < p; ++ph)
                for (int64_t pw = 0; pw < p; ++pw) {
                  const int64_t row = ((bh * (gw / m) + bw) * m + mh) * m + mw;
                  const int64_t col = ((c * t_count + t) * p + ph) * p + pw;
                  const int64_t y = (bh * m + mh) * p + ph, x = (bw * m + mw) * p + pw;
                  out[static_cast<size_t>(row * row_len + col)] =
                      tables[c][image.pixels[static_cast<size_t>((y * image.width + x) * 3 + c)]];
                }
  return out;
}

TEST(Patchify, MatchesHfIndexFormula) {
  const NormalisationTables tables = index_tables();
  const struct {
    PatchGeometry g;
    int64_t width, height;
  } cases[] = {{{14, 2, 2}, 56, 84}, {{14, 2, 2}, 112, 28}, {{3, 3, 1}, 9, 6},
               {{4, 1, 2}, 16, 8},   {{5, 2, 2}, 20, 10},   {{2, 2, 1}, 2, 2}};
  for (const auto& c : cases) {
    const RgbImage image = pattern(c.width, c.height);
    const std::vector<float> expected = reference(image, c.g, tables);
    ASSERT_EQ(patch_values(c.height, c.width, c.g), expected.size());
    for (size_t offset : {0u, 1u}) {  // aligned, then shifted by one float
      std::vector<float> buffer(expected.size() + 4, -1.0f);
      float* out = buffer.data() + offset;
      write_patches(image.view(), c.g, tables, out);
      EXPECT_EQ(std::vector<float>(out, out + expected.size()), expected)
          << "P=" << c.g.patch << " T=" << c.g.temporal << " M=" << c.g.merge << " offset "
          << offset;
      EXPECT_EQ(out[expected.size()], -1.0f) << "wrote past the end";
    }
    std::vector<float> appended{7.0f};  // append_patches keeps what is already there
    append_patches(image.view(), c.g, tables, appended);
    ASSERT_EQ(appended.size(), expected.size() + 1);
    EXPECT_EQ(appended[0], 7.0f);
    EXPECT_EQ(std::vector<float>(appended.begin() + 1, appended.end()), expected);
  }
}

}  // namespace
}  // namespace vlq::vision
