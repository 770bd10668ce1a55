#include "vlq/quant/scheme.hpp"

#include "vlq/core/error.hpp"

namespace vlq::quant {

namespace {

TensorQuant int8_weight_per_channel() {
  return {NumberFormat::kInt, {-128, 127}, true, Granularity::kPerChannel, 0};
}

}  // namespace

std::vector<std::string> scheme_names() { return {"w8a8", "w8a8_sym", "w8a16", "w4a16", "fp8"}; }

Scheme scheme_from_name(std::string_view name) {
  Scheme s;
  s.name = std::string(name);
  if (name == "w8a8") {
    s.weight = int8_weight_per_channel();
    s.activation = TensorQuant{NumberFormat::kInt, {0, 255}, false, Granularity::kPerTensor, 0};
  } else if (name == "w8a8_sym") {
    s.weight = int8_weight_per_channel();
    s.activation = TensorQuant{NumberFormat::kInt, {-128, 127}, true, Granularity::kPerTensor, 0};
  } else if (name == "w8a16") {
    s.weight = int8_weight_per_channel();
  } else if (name == "w4a16") {
    s.weight = TensorQuant{NumberFormat::kInt, {0, 15}, false, Granularity::kPerGroup, 128};
  } else if (name == "fp8") {
    s.weight = TensorQuant{NumberFormat::kFp8E4M3, {}, true, Granularity::kPerChannel, 0};
    s.activation = TensorQuant{NumberFormat::kFp8E4M3, {}, true, Granularity::kPerTensor, 0};
  } else {
    std::string known;
    for (const auto& n : scheme_names()) known += (known.empty() ? "" : ", ") + n;
    fail("--scheme: unknown scheme '" + std::string(name) + "' (known: " + known + ")");
  }
  return s;
}

}  // namespace vlq::quant
