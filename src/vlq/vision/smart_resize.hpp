#pragma once
// transformers 4.57.6 `smart_resize` (models/qwen2_vl/image_processing_qwen2_vl.py): the target
// (height, width) — multiples of `factor`, pixel count within [min_pixels, max_pixels], aspect
// ratio kept as closely as possible. Python round() (half-to-even) on the double quotient.
#include <cstdint>
#include <filesystem>

namespace vlq::vision {

struct ResizeBounds {
  int64_t min_pixels = 56 * 56;
  int64_t max_pixels = 28 * 28 * 1280;
};

struct ResizedSize {
  int64_t height = 0;
  int64_t width = 0;
};

// Aspect ratio > 200 → vlq::Error "<origin>: absolute aspect ratio must be smaller than 200, ...".
ResizedSize smart_resize(int64_t height, int64_t width, int64_t factor, const ResizeBounds& bounds,
                         const std::filesystem::path& origin);

}  // namespace vlq::vision
