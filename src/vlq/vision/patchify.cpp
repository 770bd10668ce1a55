#include "vlq/vision/patchify.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cstddef>
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

// The three channels of one patch: P×P pixels, each sample looked up in its channel's table,
// into blocks[c·P² + ph·P + pw]. For the common P = 14 a patch line (42 bytes) is read with five
// 8-byte loads and one 2-byte load and split with shifts, so each value costs one memory read
// (the table) instead of two; the loads cover exactly the line, never past it.
template <int kPatch>
inline void gather_patch(const uint8_t* src, size_t stride, int64_t runtime_patch,
                         const NormalisationTables& tables, float* blocks) {
  const int64_t p = kPatch > 0 ? kPatch : runtime_patch;
  const int64_t frame = p * p;
  float* r = blocks;
  float* g = blocks + frame;
  float* b = blocks + 2 * frame;
  for (int64_t ph = 0; ph < p; ++ph, src += stride, r += p, g += p, b += p) {
    if constexpr (kPatch == 14) {
      uint64_t words[6] = {};
      std::memcpy(words, src, 42);
      float* dst[3] = {r, g, b};
#pragma GCC unroll 42
      for (int i = 0; i < 42; ++i) {
        const auto v = static_cast<uint8_t>(words[i / 8] >> (8 * (i % 8)));
        dst[i % 3][i / 3] = tables[i % 3][v];
      }
    } else {
      for (int64_t pw = 0; pw < p; ++pw) {
        r[pw] = tables[0][src[pw * 3]];
        g[pw] = tables[1][src[pw * 3 + 1]];
        b[pw] = tables[2][src[pw * 3 + 2]];
      }
    }
  }
}

// Writes pixel_values rows [row_begin, row_end) to `out` (row_begin's first value at out[0]).
// Row r decomposes as r = ((bh·(GW/M) + bw)·M + mh)·M + mw.
template <int kPatch>
void write_rows(RgbView image, const PatchGeometry& g, const NormalisationTables& tables,
                int64_t row_begin, int64_t row_end, float* out, bool streaming) {
  const int64_t p = g.patch;
  const int64_t merge = g.merge;
  const int64_t frame = p * p;
  const int64_t blocks_w = image.width / p / merge;
  const size_t stride = static_cast<size_t>(image.width) * 3;
  const auto blocks = std::make_unique_for_overwrite<float[]>(static_cast<size_t>(3 * frame));
  const uint8_t* pixels = image.pixels;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const int64_t mw = r % merge;
    const int64_t mh = (r / merge) % merge;
    const int64_t bw = (r / (merge * merge)) % blocks_w;
    const int64_t bh = r / (merge * merge * blocks_w);
    const int64_t y0 = (bh * merge + mh) * p;
    const int64_t x0 = (bw * merge + mw) * p;
    const uint8_t* corner = pixels + static_cast<size_t>(y0) * stride + x0 * 3;
    gather_patch<kPatch>(corner, stride, p, tables, blocks.get());
    for (int c = 0; c < 3; ++c) {
      const float* block = blocks.get() + c * frame;
      for (int64_t t = 0; t < g.temporal; ++t, out += frame) {
        if (streaming) {
          put_block(out, block, static_cast<size_t>(frame));
        } else {
          std::memcpy(out, block, sizeof(float) * frame);
        }
      }
    }
  }
  if (streaming) _mm_sfence();  // order the streaming stores before anything that reads them
}

void write_rows_any(RgbView image, const PatchGeometry& g, const NormalisationTables& tables,
                    int64_t row_begin, int64_t row_end, float* out, bool streaming) {
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

void write_patches(RgbView image, const PatchGeometry& g, const NormalisationTables& tables,
                   float* out) {
  write_rows_any(image, g, tables, 0, (image.height / g.patch) * (image.width / g.patch), out,
                 /*streaming=*/true);
}

void append_patches(RgbView image, const PatchGeometry& g, const NormalisationTables& tables,
                    std::vector<float>& out) {
  const int64_t rows = (image.height / g.patch) * (image.width / g.patch);
  const auto row_len = static_cast<size_t>(3 * g.temporal * g.patch * g.patch);
  out.reserve(out.size() + static_cast<size_t>(rows) * row_len);
  // A few rows at a time through a small cache-resident buffer.
  constexpr int64_t kChunk = 8;
  std::vector<float> chunk(static_cast<size_t>(kChunk) * row_len);
  for (int64_t r = 0; r < rows; r += kChunk) {
    const int64_t n = std::min(kChunk, rows - r);
    write_rows_any(image, g, tables, r, r + n, chunk.data(), /*streaming=*/false);
    out.insert(out.end(), chunk.begin(), chunk.begin() + static_cast<ptrdiff_t>(n * row_len));
  }
}

}  // namespace vlq::vision
