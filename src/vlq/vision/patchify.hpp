#pragma once
// The processor's last step: rescale + normalise every uint8 sample of the resized image (one
// 256-entry table per channel holding the slow processor's exact float32 results) and flatten
// into HF's pixel_values layout, in one pass that writes each output float once.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "vlq/vision/rgb_image.hpp"

namespace vlq::vision {

using NormalisationTables = std::array<std::array<float, 256>, 3>;

struct PatchGeometry {
  int64_t patch = 14;
  int64_t temporal = 2;
  int64_t merge = 2;
};

// Floats write_patches produces for a `height`×`width` image (both multiples of
// patch·merge): (h/p)·(w/p) rows of 3·T·p² values.
size_t patch_values(int64_t height, int64_t width, const PatchGeometry& g);

// HF reshapes to (t, T, C, gh/M, M, P, gw/M, M, P) and transposes to
// (t, gh/M, gw/M, M, M, C, T, P, P): rows walk merge blocks row-major and the M×M patches inside
// each; a row holds channel-major, then frame, then the P×P patch pixels. All T frames are the
// same image. `out` must hold patch_values(...) floats. Large outputs are written with
// non-temporal stores (they do not fit in cache, and this skips reading each line before
// writing it), so the data is not left in cache.
void write_patches(RgbView image, const PatchGeometry& g, const NormalisationTables& tables,
                   float* out);

// The same values appended to a std::vector row by row with ordinary stores: a vector cannot
// grow without zero-filling, and zero-fill plus streaming stores costs more than this.
void append_patches(RgbView image, const PatchGeometry& g, const NormalisationTables& tables,
                    std::vector<float>& out);

}  // namespace vlq::vision
