#include "vlq/vision/patchify.hpp"

#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <memory>

namespace vlq::vision {
namespace {

// Copies one finished block to `dst`: streaming stores when both ends line up on 16 bytes,
// memcpy otherwise. SSE2 is part of x86-64, so no runtime check is needed.
inline void put_block(float* dst, const float* block, size_t count) {
  const size_t bytes = count * sizeof(float);
  if (reinterpret_cast<uintptr_t>(dst) % 16 != 0 || bytes % 16 != 0) {
    std::memcpy(dst, block, bytes);
    return;
  }
  for (size_t i = 0; i < count; i += 4) _mm_stream_ps(dst + i, _mm_loadu_ps(block + i));
}

// One channel of one patch: P×P table lookups from the interleaved source. The common patch
// size is a compile-time constant so the inner loop is fully unrolled.
template <int kPatch>
inline void gather_patch(const uint8_t* src, size_t stride, int64_t runtime_patch,
                         const float* table, float* block) {
  const int64_t p = kPatch > 0 ? kPatch : runtime_patch;
  for (int64_t ph = 0; ph < p; ++ph, src += stride, block += p) {
    for (int64_t pw = 0; pw < p; ++pw) block[pw] = table[src[pw * 3]];
  }
}

template <int kPatch>
void write_all(const RgbImage& image, const PatchGeometry& g, const NormalisationTables& tables,
               float* out) {
  const int64_t p = g.patch;
  const int64_t merge = g.merge;
  const int64_t frame = p * p;
  const int64_t grid_h = image.height / p;
  const int64_t grid_w = image.width / p;
  const size_t stride = static_cast<size_t>(image.width) * 3;
  const auto block = std::make_unique_for_overwrite<float[]>(static_cast<size_t>(frame));
  const uint8_t* pixels = image.pixels.data();
  for (int64_t bh = 0; bh < grid_h / merge; ++bh) {
    for (int64_t bw = 0; bw < grid_w / merge; ++bw) {
      for (int64_t mh = 0; mh < merge; ++mh) {
        for (int64_t mw = 0; mw < merge; ++mw) {
          const int64_t y0 = (bh * merge + mh) * p;
          const int64_t x0 = (bw * merge + mw) * p;
          const uint8_t* corner = pixels + static_cast<size_t>(y0) * stride + x0 * 3;
          for (int c = 0; c < 3; ++c) {
            gather_patch<kPatch>(corner + c, stride, p, tables[c].data(), block.get());
            for (int64_t t = 0; t < g.temporal; ++t, out += frame) {
              put_block(out, block.get(), static_cast<size_t>(frame));
            }
          }
        }
      }
    }
  }
  _mm_sfence();  // order the streaming stores before anything that reads the output
}

}  // namespace

size_t patch_values(int64_t height, int64_t width, const PatchGeometry& g) {
  return static_cast<size_t>((height / g.patch) * (width / g.patch) * 3 * g.temporal * g.patch *
                             g.patch);
}

void write_patches(const RgbImage& image, const PatchGeometry& g, const NormalisationTables& tables,
                   float* out) {
  if (g.patch == 14) {
    write_all<14>(image, g, tables, out);
  } else {
    write_all<0>(image, g, tables, out);
  }
}

}  // namespace vlq::vision
