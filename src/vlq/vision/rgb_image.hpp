#pragma once
// A decoded 8-bit RGB image, interleaved row-major (R,G,B per pixel) — the form PIL's
// `image.convert("RGB")` hands to the HF image processor.
#include <cstdint>
#include <vector>

namespace vlq::vision {

// A non-owning view of the same layout, so pixels owned elsewhere (a numpy array, a scratch
// buffer) go through the processor without a copy.
struct RgbView {
  int64_t width = 0;
  int64_t height = 0;
  const uint8_t* pixels = nullptr;  // [height, width, 3]
};

struct RgbImage {
  int64_t width = 0;
  int64_t height = 0;
  std::vector<uint8_t> pixels;  // [height, width, 3]

  RgbView view() const { return {width, height, pixels.data()}; }
};

}  // namespace vlq::vision
