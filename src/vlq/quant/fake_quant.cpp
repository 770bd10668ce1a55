#include "vlq/quant/fake_quant.hpp"

#include <cmath>
#include <string>

#include "vlq/core/error.hpp"

namespace vlq::quant {

namespace {

void check_matrix(std::span<float> x, int64_t rows, int64_t cols, size_t params, size_t expected,
                  const char* what) {
  if (rows < 0 || cols < 0 || x.size() != static_cast<size_t>(rows * cols))
    fail(std::string(what) + ": tensor size " + std::to_string(x.size()) + " != rows*cols");
  if (params != expected)
    fail(std::string(what) + ": expected " + std::to_string(expected) + " scales/zero points, got " +
         std::to_string(params));
}

}  // namespace

void fake_quantize_per_tensor(std::span<float> x, float scale, int64_t zero_point, int64_t qmin,
                              int64_t qmax) {
  const float inv_scale = 1.0f / scale;
  for (float& v : x) v = fake_quant_value(v, scale, inv_scale, zero_point, qmin, qmax);
}

void fake_quantize_per_channel(std::span<float> x, int64_t rows, int64_t cols,
                               std::span<const float> scales, std::span<const int64_t> zero_points,
                               int64_t qmin, int64_t qmax) {
  check_matrix(x, rows, cols, scales.size(), static_cast<size_t>(rows), "fake_quantize_per_channel");
  if (zero_points.size() != scales.size()) fail("fake_quantize_per_channel: scales/zero_points size mismatch");
  for (int64_t r = 0; r < rows; ++r) {
    const float s = scales[r];
    const float inv = 1.0f / s;
    const int64_t zp = zero_points[r];
    float* row = x.data() + r * cols;
    for (int64_t c = 0; c < cols; ++c) row[c] = fake_quant_value(row[c], s, inv, zp, qmin, qmax);
  }
}

void fake_quantize_per_group(std::span<float> x, int64_t rows, int64_t cols, int64_t group_size,
                             std::span<const float> scales, std::span<const int64_t> zero_points,
                             int64_t qmin, int64_t qmax) {
  if (group_size <= 0) fail("fake_quantize_per_group: group_size must be positive");
  const int64_t groups = (cols + group_size - 1) / group_size;
  check_matrix(x, rows, cols, scales.size(), static_cast<size_t>(rows * groups),
               "fake_quantize_per_group");
  if (zero_points.size() != scales.size()) fail("fake_quantize_per_group: scales/zero_points size mismatch");
  for (int64_t r = 0; r < rows; ++r) {
    float* row = x.data() + r * cols;
    for (int64_t g = 0; g < groups; ++g) {
      const float s = scales[r * groups + g];
      const float inv = 1.0f / s;
      const int64_t zp = zero_points[r * groups + g];
      const int64_t end = std::min(cols, (g + 1) * group_size);
      for (int64_t c = g * group_size; c < end; ++c)
        row[c] = fake_quant_value(row[c], s, inv, zp, qmin, qmax);
    }
  }
}

float round_to_fp8_e4m3(float v) {
  if (std::isnan(v)) return v;
  const float a = std::fabs(v);
  if (a >= kFp8E4M3Max) return std::copysign(kFp8E4M3Max, v);
  // Spacing of E4M3 values around a: 2^(e-3) for a normal number in [2^e, 2^(e+1)) (3 mantissa
  // bits), and the subnormal spacing 2^-9 below the smallest normal 2^-6.
  int e = 0;
  std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)  →  a in [2^(e-1), 2^e)
  int exponent = e - 1;
  if (exponent < -6) exponent = -6;
  const float quantum = std::ldexp(1.0f, exponent - 3);
  // a / quantum and the product below are exact (power-of-two scaling); nearbyint rounds half to
  // even. Rounding up to the next binade (e.g. 15.5 quanta → 16) lands on a representable value.
  float r = std::nearbyint(a / quantum) * quantum;
  if (r > kFp8E4M3Max) r = kFp8E4M3Max;
  return std::copysign(r, v);
}

void fake_quantize_fp8_per_tensor(std::span<float> x, float scale) {
  for (float& v : x) v = round_to_fp8_e4m3(v / scale) * scale;
}

void fake_quantize_fp8_per_channel(std::span<float> x, int64_t rows, int64_t cols,
                                   std::span<const float> scales) {
  check_matrix(x, rows, cols, scales.size(), static_cast<size_t>(rows), "fake_quantize_fp8_per_channel");
  for (int64_t r = 0; r < rows; ++r) {
    const float s = scales[r];
    float* row = x.data() + r * cols;
    for (int64_t c = 0; c < cols; ++c) row[c] = round_to_fp8_e4m3(row[c] / s) * s;
  }
}

}  // namespace vlq::quant
