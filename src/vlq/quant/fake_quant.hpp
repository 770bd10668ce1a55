#pragma once
// Fake quantization (quantize → dequantize in fp32) with exactly PyTorch's CPU semantics, so
// vlq's simulated int8/int4/fp8 numbers can be checked bit for bit against
// torch.fake_quantize_per_tensor_affine / torch.fake_quantize_per_channel_affine and
// x.to(torch.float8_e4m3fn).
//
// Integer formats follow ATen's fake_quantize_*_cachemask CPU kernels:
//   q = zero_point + nearbyint(x * (1/scale))      (multiply by the fp32 inverse, not divide;
//                                                   round half to even in the default FP mode)
//   y = (clamp(q, qmin, qmax) - zero_point) * scale
// The only deliberate difference: ATen casts q to int64 before clamping, which is undefined for
// |q| ≥ 2^63 (and NaN); vlq clamps in floating point first, which gives the same result for every
// finite input ATen handles and stays UBSan-clean for ±inf/huge values.
#include <cstdint>
#include <span>

namespace vlq::quant {

// One value, ATen's formula. `inv_scale` must be 1.0f / scale computed in fp32.
inline float fake_quant_value(float x, float scale, float inv_scale, int64_t zero_point,
                              int64_t qmin, int64_t qmax) {
  // ATen: static_cast<int64_t>(z_point + std::nearbyint(x * inv_scale)) — the addition happens in
  // float (int64 promoted), so reproduce it in float.
  float q = static_cast<float>(zero_point) + __builtin_nearbyintf(x * inv_scale);
  float lo = static_cast<float>(qmin), hi = static_cast<float>(qmax);
  if (!(q >= lo)) q = lo;  // also maps NaN to qmin (ATen's behaviour there is undefined)
  if (q > hi) q = hi;
  // (clamped - zp) is a small exact integer; its product with scale rounds once to fp32, exactly
  // like ATen's double product stored into a float.
  return static_cast<float>(static_cast<int64_t>(q) - zero_point) * scale;
}

// torch.fake_quantize_per_tensor_affine(x, scale, zero_point, qmin, qmax), in place.
void fake_quantize_per_tensor(std::span<float> x, float scale, int64_t zero_point, int64_t qmin,
                              int64_t qmax);

// torch.fake_quantize_per_channel_affine(x, scales, zero_points, axis=0, qmin, qmax) for a
// row-major [rows, cols] matrix (a Linear weight [out, in]: one channel per output row).
void fake_quantize_per_channel(std::span<float> x, int64_t rows, int64_t cols,
                               std::span<const float> scales, std::span<const int64_t> zero_points,
                               int64_t qmin, int64_t qmax);

// Group-wise along the columns: groups of `group_size` consecutive columns in each row (the last
// group of a row may be shorter). scales/zero_points are [rows, ceil(cols / group_size)].
// Equal to per-channel fake quant of the [rows * groups, group_size] reshape.
void fake_quantize_per_group(std::span<float> x, int64_t rows, int64_t cols, int64_t group_size,
                             std::span<const float> scales, std::span<const int64_t> zero_points,
                             int64_t qmin, int64_t qmax);

// ---- FP8 E4M3 (OCP "e4m3fn": bias 7, no infinities, max 448, subnormals down to 2^-9) ----

inline constexpr float kFp8E4M3Max = 448.0f;

// Nearest E4M3 value (round half to even, subnormals included), saturating to ±448 instead of
// producing NaN. Equal to torch.clamp(v, -448, 448).to(torch.float8_e4m3fn).float(); the sign of
// zero is kept.
float round_to_fp8_e4m3(float v);

// y = round_to_fp8_e4m3(x / scale) * scale, in place (division in fp32, like `(x / s)` in torch).
void fake_quantize_fp8_per_tensor(std::span<float> x, float scale);
// One scale per row of a row-major [rows, cols] matrix.
void fake_quantize_fp8_per_channel(std::span<float> x, int64_t rows, int64_t cols,
                                   std::span<const float> scales);

}  // namespace vlq::quant
