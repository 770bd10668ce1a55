#pragma once
// Fake-quantized copy of a Linear weight [out, in] under a scheme's weight format, with min-max
// parameters (PerChannelMinMaxObserver semantics per output row, or per group of input columns).
#include <cstdint>
#include <span>
#include <vector>

#include "vlq/quant/scheme.hpp"

namespace vlq::quant {

std::vector<float> fake_quantize_weight(const TensorQuant& spec, std::span<const float> weight,
                                        int64_t rows, int64_t cols);

}  // namespace vlq::quant
