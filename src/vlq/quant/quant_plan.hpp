#pragma once
// A quantization plan: op name → scheme name, or float. Ops not in the plan run in float.
// Serialised as JSON {"format": "vlq-quant-plan", "version": 1, "ops": {name: scheme|"float"}}
// and convertible to INC's op_name_dict (PostTrainingQuantConfig(op_name_dict=...)), where float
// ops become {"weight": {"dtype": ["fp32"]}, "activation": {"dtype": ["fp32"]}}.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "vlq/core/json.hpp"
#include "vlq/quant/scheme.hpp"

namespace vlq::quant {

inline constexpr const char* kFloat = "float";

struct QuantPlan {
  std::map<std::string, std::string> ops;  // name → scheme name or "float"

  // Scheme of `name`, nullptr when it runs in float.
  const Scheme* scheme_of(const std::string& name) const;
  size_t quantized_count() const;

  Json to_json() const;
  Json to_inc_op_name_dict() const;
  static QuantPlan from_json(const Json& json, const std::filesystem::path& origin);

  // Resolved schemes, so scheme_of() is a lookup (built lazily by set()).
  void set(const std::string& name, const std::string& scheme_or_float);

 private:
  std::map<std::string, Scheme> schemes_;
};

}  // namespace vlq::quant
