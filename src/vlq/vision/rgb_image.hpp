#pragma once
// A decoded 8-bit RGB image, interleaved row-major (R,G,B per pixel) — the form PIL's
// `image.convert("RGB")` hands to the HF image processor.
#include <cstdint>
#include <vector>

namespace vlq::vision {

struct RgbImage {
  int64_t width = 0;
  int64_t height = 0;
  std::vector<uint8_t> pixels;  // [height, width, 3]
};

}  // namespace vlq::vision
