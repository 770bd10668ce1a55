#include "vlq/vision/patchify.hpp"

#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

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

// Writes pixel_values rows [row_begin, row_end) to `out` (row_begin's first value at out[0]).
// Row r decomposes as r = ((bh·(GW/M) + bw)·M + mh)·M + mw.
template <int kPatch>
void write_rows(const RgbImage& image, const PatchGeometry& g, const NormalisationTables& tables,
                int64_t row_begin, int64_t row_end, float* out, bool streaming) {
  const int64_t p = g.patch;
  const int64_t merge = g.merge;
  const int64_t frame = p * p;
  const int64_t blocks_w = image.width / p / merge;
  const size_t stride = static_cast<size_t>(image.width) * 3;
  const auto block = std::make_unique_for_overwrite<float[]>(static_cast<size_t>(frame));
  const uint8_t* pixels = image.pixels.data();
  for (int64_t r = row_begin; r < row_end; ++r) {
    const int64_t mw = r % merge;
    const int64_t mh = (r / merge) % merge;
    const int64_t bw = (r / (merge * merge)) % blocks_w;
    const int64_t bh = r / (merge * merge * blocks_w);
    const int64_t y0 = (bh * merge + mh) * p;
    const int64_t x0 = (bw * merge + mw) * p;
    const uint8_t* corner = pixels + static_cast<size_t>(y0) * stride + x0 * 3;
    for (int c = 0; c < 3; ++c) {
      gather_patch<kPatch>(corner + c, stride, p, tables[c].data(), block.get());
      for (int64_t t = 0; t < g.temporal; ++t, out += frame) {
        if (streaming) {
          put_block(out, block.get(), static_cast<size_t>(frame));
        } else {
          std::memcpy(out, block.get(), sizeof(float) * frame);
        }
      }
    }
  }
  if (streaming) _mm_sfence();  // order the streaming stores before anything that reads them
}

void write_rows_any(const RgbImage& image, const PatchGeometry& g,
                    const NormalisationTables& tables, int64_t row_begin, int64_t row_end,
                    float* out, bool streaming) {
  if (g.patch == 14) {
    write_rows<14>(image, g, tables, row_begin, row_end, out, streaming);
  } else {
    write_rows<0>(image, g, tables, row_begin, row_end, out, streaming);
  }
}

}  // namespace

size_t patch_values(int64_t height, int64_t width, const PatchGeometry& g) {
  return static_cast<size_t>((height / g.patch) * (width / g.patch) * 3 * g.temporal * g.patch *
                             g.patch);
}

void write_patches(const RgbImage& image, const PatchGeometry& g, const NormalisationTables& tables,
                   float* out) {
  write_rows_any(image, g, tables, 0, (image.height / g.patch) * (image.width / g.patch), out,
                 /*streaming=*/true);
}

void append_patches(const RgbImage& image, const PatchGeometry& g,
                    const NormalisationTables& tables, std::vector<float>& out) {
  const int64_t rows = (image.height / g.patch) * (image.width / g.patch);
  const auto row_len = static_cast<size_t>(3 * g.temporal * g.patch * g.patch);
  out.reserve(out.size() + static_cast<size_t>(rows) * row_len);
  std::vector<float> row(row_len);
  for (int64_t r = 0; r < rows; ++r) {
    write_rows_any(image, g, tables, r, r + 1, row.data(), /*streaming=*/false);
    out.insert(out.end(), row.begin(), row.end());
  }
}

}  // namespace vlq::vision
