#include "vlq/model/dtype.hpp"

#include <cstring>
#include <string>

#include "vlq/core/error.hpp"

namespace vlq::model {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kF32: return 4;
    case DType::kF16: return 2;
    case DType::kBF16: return 2;
  }
  return 0;
}

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
  }
  return "?";
}

std::optional<DType> parse_dtype(std::string_view name) {
  if (name == "F32") return DType::kF32;
  if (name == "F16") return DType::kF16;
  if (name == "BF16") return DType::kBF16;
  return std::nullopt;
}

float f16_to_f32(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  uint32_t out;
  if (exponent == 0x1f) {  // inf / NaN keep their payload
    out = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {  // normal: rebias 15 → 127
    out = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    out = sign;
  } else {  // subnormal half → normal float: shift until the implicit bit appears
    exponent = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    out = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &out, sizeof f);
  return f;
}

void convert_to_f32(DType dtype, std::span<const std::byte> src, std::span<float> dst) {
  if (src.size() != dst.size() * dtype_size(dtype))
    fail("convert_to_f32: " + std::to_string(src.size()) + " bytes of " +
         std::string(dtype_name(dtype)) + " cannot fill " + std::to_string(dst.size()) +
         " floats");
  const size_t n = dst.size();
  switch (dtype) {
    case DType::kF32:
      std::memcpy(dst.data(), src.data(), n * 4);
      return;
    case DType::kBF16: {
      // memcpy per element keeps unaligned mmap reads defined; compilers vectorise this loop.
      const auto* p = reinterpret_cast<const unsigned char*>(src.data());
      for (size_t i = 0; i < n; ++i) {
        uint16_t bits;
        std::memcpy(&bits, p + 2 * i, 2);
        dst[i] = bf16_to_f32(bits);
      }
      return;
    }
    case DType::kF16: {
      const auto* p = reinterpret_cast<const unsigned char*>(src.data());
      for (size_t i = 0; i < n; ++i) {
        uint16_t bits;
        std::memcpy(&bits, p + 2 * i, 2);
        dst[i] = f16_to_f32(bits);
      }
      return;
    }
  }
}

}  // namespace vlq::model
