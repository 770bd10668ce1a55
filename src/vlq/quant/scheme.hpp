#pragma once
// Quantization schemes: how an op's weight and (optionally) its input activation are
// represented. Names used on the command line and in plans:
//   w8a8      int8 weights per output channel, symmetric [-128, 127] (PyTorch/INC default);
//             activations per tensor, static, asymmetric uint8 [0, 255] (INC's default for
//             PyTorch Linear)
//   w8a8_sym  as w8a8 but activations symmetric int8 [-128, 127], zero point 0
//   w8a16     int8 weights per output channel, symmetric; activations stay fp32
//   w4a16     4-bit weights, asymmetric [0, 15], groups of 128 input columns; fp32 activations
//   fp8       FP8 E4M3 weights (one scale per output channel) and activations (one static scale
//             per tensor), scale = amax / 448, simulated in fp32
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vlq/quant/qparams.hpp"

namespace vlq::quant {

enum class NumberFormat { kInt, kFp8E4M3 };
enum class Granularity { kPerTensor, kPerChannel, kPerGroup };

struct TensorQuant {
  NumberFormat format = NumberFormat::kInt;
  IntRange range;  // kInt only
  bool symmetric = true;
  Granularity granularity = Granularity::kPerTensor;
  int64_t group_size = 0;  // kPerGroup only
};

struct Scheme {
  std::string name;
  TensorQuant weight;
  std::optional<TensorQuant> activation;  // nullopt: weight-only (activations stay fp32)
};

// Unknown name → vlq::Error "--scheme: unknown scheme '<name>' (known: ...)".
Scheme scheme_from_name(std::string_view name);
std::vector<std::string> scheme_names();

}  // namespace vlq::quant
