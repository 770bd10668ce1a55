#include "vlq/model/vision_rotary.hpp"

#include <cmath>
#include <string>

#include "vlq/core/error.hpp"

namespace vlq::model {

std::vector<float> vision_rotary_inv_freq(int64_t head_dim, double theta) {
  if (head_dim <= 0 || head_dim % 4 != 0) {
    throw Error("vision rotary: head_dim " + std::to_string(head_dim) +
                " must be a positive multiple of 4");
  }
  const int64_t dim = head_dim / 2;  // Qwen2_5_VisionRotaryEmbedding(head_dim // 2)
  std::vector<float> inv(static_cast<size_t>(dim / 2));
  for (int64_t i = 0; i < dim / 2; ++i) {
    // HF: arange(0, dim, 2, float32) / dim in fp32, theta ** that in fp32, 1.0 / that in fp32.
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(dim);
    const float power = static_cast<float>(std::pow(theta, static_cast<double>(exponent)));
    inv[static_cast<size_t>(i)] = 1.0f / power;
  }
  return inv;
}

std::vector<float> vision_rotary_angles(std::span<const VisionGrid> grids, int64_t merge_size,
                                        int64_t head_dim, double theta) {
  const std::vector<float> inv = vision_rotary_inv_freq(head_dim, theta);
  const size_t q = inv.size();
  const size_t width = 2 * q;
  std::vector<float> angles(static_cast<size_t>(total_patches(grids)) * width);
  size_t row = 0;
  for (const auto& g : grids) {
    const int64_t bh_n = g.h / merge_size;
    const int64_t bw_n = g.w / merge_size;
    for (int64_t t = 0; t < g.t; ++t) {
      for (int64_t bh = 0; bh < bh_n; ++bh) {
        for (int64_t bw = 0; bw < bw_n; ++bw) {
          for (int64_t mh = 0; mh < merge_size; ++mh) {
            for (int64_t mw = 0; mw < merge_size; ++mw, ++row) {
              // HF builds freqs = outer(arange(max_side) as fp32, inv_freq): one fp32 product.
              const auto y = static_cast<float>(bh * merge_size + mh);
              const auto x = static_cast<float>(bw * merge_size + mw);
              float* out = angles.data() + row * width;
              for (size_t i = 0; i < q; ++i) {
                out[i] = y * inv[i];
                out[q + i] = x * inv[i];
              }
            }
          }
        }
      }
    }
  }
  return angles;
}

VisionRotaryTable vision_rotary_table(std::span<const float> angles, int64_t head_dim,
                                      std::span<const int64_t> window_index, int64_t merge_unit) {
  const auto half = static_cast<size_t>(head_dim / 2);
  const auto unit = static_cast<size_t>(merge_unit);
  const size_t rows = window_index.size() * unit;
  if (half == 0 || angles.size() != rows * half) {
    throw Error("vision rotary: " + std::to_string(angles.size()) + " angles do not match " +
                std::to_string(rows) + " rows of " + std::to_string(half));
  }
  VisionRotaryTable table;
  table.head_dim = head_dim;
  table.cos.resize(rows * 2 * half);
  table.sin.resize(rows * 2 * half);
  for (size_t j = 0; j < window_index.size(); ++j) {
    const auto src_block = static_cast<size_t>(window_index[j]);
    if (src_block >= window_index.size()) throw Error("vision rotary: window index out of range");
    for (size_t u = 0; u < unit; ++u) {
      const float* a = angles.data() + (src_block * unit + u) * half;
      float* c = table.cos.data() + (j * unit + u) * 2 * half;
      float* s = table.sin.data() + (j * unit + u) * 2 * half;
      for (size_t i = 0; i < half; ++i) {
        const float cv = std::cos(a[i]);
        const float sv = std::sin(a[i]);
        c[i] = c[half + i] = cv;
        s[i] = s[half + i] = sv;
      }
    }
  }
  return table;
}

}  // namespace vlq::model
