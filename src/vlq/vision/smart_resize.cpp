#include "vlq/vision/smart_resize.hpp"

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <string>

#include "vlq/core/error.hpp"

namespace vlq::vision {
namespace {

// Python's round() on a float: nearest integer, ties to even. std::nearbyint does that under the
// default FE_TONEAREST mode, which vlq never changes; std::round would round ties away from zero
// (70/28 = 2.5 must give 2, not 3).
int64_t python_round(double x) { return static_cast<int64_t>(std::nearbyint(x)); }

}  // namespace

ResizedSize smart_resize(int64_t height, int64_t width, int64_t factor, const ResizeBounds& bounds,
                         const std::filesystem::path& origin) {
  if (height <= 0 || width <= 0) fail(origin, "image has no pixels");
  if (factor <= 0) fail(origin, "resize factor must be positive");
  const double h = static_cast<double>(height);
  const double w = static_cast<double>(width);
  const double f = static_cast<double>(factor);
  const double ratio = std::max(h, w) / std::min(h, w);
  if (ratio > 200) {
    fail(origin, "absolute aspect ratio must be smaller than 200, got " + std::to_string(ratio) +
                     " (" + std::to_string(width) + "x" + std::to_string(height) + ")");
  }
  int64_t h_bar = python_round(h / f) * factor;
  int64_t w_bar = python_round(w / f) * factor;
  if (h_bar * w_bar > bounds.max_pixels) {
    const double beta = std::sqrt((h * w) / static_cast<double>(bounds.max_pixels));
    h_bar = std::max(factor, static_cast<int64_t>(std::floor(h / beta / f)) * factor);
    w_bar = std::max(factor, static_cast<int64_t>(std::floor(w / beta / f)) * factor);
  } else if (h_bar * w_bar < bounds.min_pixels) {
    const double beta = std::sqrt(static_cast<double>(bounds.min_pixels) / (h * w));
    h_bar = static_cast<int64_t>(std::ceil(h * beta / f)) * factor;
    w_bar = static_cast<int64_t>(std::ceil(w * beta / f)) * factor;
  }
  return {h_bar, w_bar};
}

}  // namespace vlq::vision
