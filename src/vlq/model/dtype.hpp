#pragma once
// Element types of stored weights (safetensors "F32", "F16", "BF16") and their widening to fp32.
// All compute in vlq::model is fp32; weights stay in their stored type until a layer needs them.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace vlq::model {

enum class DType { kF32, kF16, kBF16 };

// Bytes per element.
size_t dtype_size(DType dtype);

// The safetensors spelling ("F32", "F16", "BF16").
std::string_view dtype_name(DType dtype);

// nullopt for any other spelling (the caller names the file and tensor in its error).
std::optional<DType> parse_dtype(std::string_view safetensors_name);

// bf16 is the upper half of an fp32: widening is a shift, exact.
inline float bf16_to_f32(uint16_t bits) {
  uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float out;
  __builtin_memcpy(&out, &wide, sizeof out);
  return out;
}

// IEEE binary16 → fp32, exact (subnormals, inf and NaN included).
float f16_to_f32(uint16_t bits);

// Widens `src` (little-endian, dst.size() elements of `dtype`) into `dst`.
// src.size() must equal dst.size() * dtype_size(dtype) (checked; vlq::Error otherwise).
// `src` may be unaligned (mmap'd safetensors data has no alignment guarantee).
void convert_to_f32(DType dtype, std::span<const std::byte> src, std::span<float> dst);

}  // namespace vlq::model
