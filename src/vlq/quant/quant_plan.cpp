#include "vlq/quant/quant_plan.hpp"

#include "vlq/core/error.hpp"

namespace vlq::quant {

void QuantPlan::set(const std::string& name, const std::string& scheme_or_float) {
  if (scheme_or_float != kFloat && !schemes_.count(scheme_or_float))
    schemes_.emplace(scheme_or_float, scheme_from_name(scheme_or_float));
  ops[name] = scheme_or_float;
}

const Scheme* QuantPlan::scheme_of(const std::string& name) const {
  auto it = ops.find(name);
  if (it == ops.end() || it->second == kFloat) return nullptr;
  auto s = schemes_.find(it->second);
  return s == schemes_.end() ? nullptr : &s->second;
}

size_t QuantPlan::quantized_count() const {
  size_t n = 0;
  for (const auto& [name, scheme] : ops) n += scheme != kFloat;
  return n;
}

Json QuantPlan::to_json() const {
  Json j{{"format", "vlq-quant-plan"}, {"version", 1}, {"ops", Json::object()}};
  for (const auto& [name, scheme] : ops) j["ops"][name] = scheme;
  return j;
}

namespace {

Json inc_tensor_config(const TensorQuant& t) {
  if (t.format == NumberFormat::kFp8E4M3) return {{"dtype", {"fp8_e4m3"}}};
  const bool is_unsigned = t.range.qmin >= 0;
  const int bits = t.range.qmax - t.range.qmin + 1 > 256 ? 16 : (t.range.qmax - t.range.qmin + 1 > 16 ? 8 : 4);
  Json c{{"dtype", {std::string(is_unsigned ? "uint" : "int") + std::to_string(bits)}},
         {"scheme", {t.symmetric ? "sym" : "asym"}},
         {"algorithm", {"minmax"}}};
  switch (t.granularity) {
    case Granularity::kPerTensor: c["granularity"] = {"per_tensor"}; break;
    case Granularity::kPerChannel: c["granularity"] = {"per_channel"}; break;
    case Granularity::kPerGroup:
      c["granularity"] = {"per_group"};
      c["group_size"] = t.group_size;
      break;
  }
  return c;
}

}  // namespace

Json QuantPlan::to_inc_op_name_dict() const {
  Json d = Json::object();
  for (const auto& [name, scheme_name] : ops) {
    const Scheme* s = scheme_of(name);
    if (!s) {
      d[name] = {{"weight", {{"dtype", {"fp32"}}}}, {"activation", {{"dtype", {"fp32"}}}}};
      continue;
    }
    d[name] = {{"weight", inc_tensor_config(s->weight)},
               {"activation", s->activation ? inc_tensor_config(*s->activation)
                                            : Json{{"dtype", {"fp32"}}}}};
  }
  return d;
}

QuantPlan QuantPlan::from_json(const Json& json, const std::filesystem::path& origin) {
  if (!json.is_object() || json.value("format", "") != "vlq-quant-plan")
    fail(origin, "not a vlq quant plan (missing \"format\": \"vlq-quant-plan\")");
  if (!json.contains("ops") || !json["ops"].is_object()) fail(origin, "\"ops\" must be an object");
  QuantPlan plan;
  for (const auto& [name, value] : json["ops"].items()) {
    if (!value.is_string()) fail(origin, "ops." + name + ": must be a scheme name or \"float\"");
    try {
      plan.set(name, value.get<std::string>());
    } catch (const Error& e) {
      fail(origin, "ops." + name + ": " + e.what());
    }
  }
  return plan;
}

}  // namespace vlq::quant
