#include "vlq/model/config.hpp"

#include <cmath>

#include "vlq/core/error.hpp"

namespace vlq::model {

namespace fs = std::filesystem;

namespace {

// Looks keys up in `primary` (a sub-config) first, then in `fallback` (the top level), and
// names the key by its dotted path in errors.
class Reader {
 public:
  Reader(const fs::path& origin, const Json* primary, std::string prefix, const Json* fallback)
      : origin_(origin), primary_(primary), prefix_(std::move(prefix)), fallback_(fallback) {}

  // Returns {value, dotted key} or {nullptr, key} if absent everywhere.
  std::pair<const Json*, std::string> find(const std::string& key) const {
    if (primary_ && primary_->contains(key)) return {&(*primary_)[key], prefix_ + key};
    if (fallback_ && fallback_->contains(key)) return {&(*fallback_)[key], key};
    return {nullptr, prefix_ + key};
  }

  [[noreturn]] void fail_key(const std::string& key, std::string_view what) const {
    fail(origin_, key + ": " + std::string(what));
  }

  std::optional<int64_t> optional_int(const std::string& key) const {
    auto [value, path] = find(key);
    if (!value || value->is_null()) return std::nullopt;
    if (!value->is_number_integer()) fail_key(path, "must be an integer, found " + value->dump());
    return value->get<int64_t>();
  }
  int64_t positive_int(const std::string& key) const {
    auto v = optional_int(key);
    if (!v) fail_key(find(key).second, "missing");
    if (*v <= 0) fail_key(find(key).second, "must be positive, found " + std::to_string(*v));
    return *v;
  }
  int64_t positive_int_or(const std::string& key, int64_t fallback) const {
    if (!optional_int(key)) return fallback;
    return positive_int(key);
  }
  int64_t int_or(const std::string& key, int64_t fallback) const {
    auto v = optional_int(key);
    return v ? *v : fallback;
  }
  double positive_number_or(const std::string& key, double fallback) const {
    auto [value, path] = find(key);
    if (!value || value->is_null()) return fallback;
    if (!value->is_number()) fail_key(path, "must be a number, found " + value->dump());
    const double v = value->get<double>();
    if (!(v > 0) || !std::isfinite(v)) fail_key(path, "must be a positive finite number");
    return v;
  }
  bool bool_or(const std::string& key, bool fallback) const {
    auto [value, path] = find(key);
    if (!value || value->is_null()) return fallback;
    if (!value->is_boolean()) fail_key(path, "must be true or false, found " + value->dump());
    return value->get<bool>();
  }
  std::string string_or(const std::string& key, const std::string& fallback) const {
    auto [value, path] = find(key);
    if (!value || value->is_null()) return fallback;
    if (!value->is_string()) fail_key(path, "must be a string, found " + value->dump());
    return value->get<std::string>();
  }

 private:
  const fs::path& origin_;
  const Json* primary_;
  std::string prefix_;
  const Json* fallback_;
};

TextConfig parse_text(const Json& root, const fs::path& origin) {
  const Json* nested = nullptr;
  if (root.contains("text_config") && !root["text_config"].is_null()) {
    if (!root["text_config"].is_object()) fail(origin, "text_config: must be an object");
    nested = &root["text_config"];
  }
  // Nested layout (4.57 save_pretrained): text_config wins, the top level fills in; flat layout:
  // everything at the top level. HF builds the text config the same way.
  const Reader r = nested ? Reader(origin, nested, "text_config.", &root)
                          : Reader(origin, &root, "", nullptr);
  TextConfig t;
  t.hidden_size = r.positive_int("hidden_size");
  t.intermediate_size = r.positive_int("intermediate_size");
  t.num_hidden_layers = r.positive_int("num_hidden_layers");
  t.num_attention_heads = r.positive_int("num_attention_heads");
  t.num_key_value_heads = r.positive_int_or("num_key_value_heads", t.num_attention_heads);
  t.vocab_size = r.positive_int("vocab_size");
  if (t.hidden_size % t.num_attention_heads != 0)
    r.fail_key(r.find("hidden_size").second,
               std::to_string(t.hidden_size) + " is not divisible by num_attention_heads " +
                   std::to_string(t.num_attention_heads));
  t.head_dim = r.positive_int_or("head_dim", t.hidden_size / t.num_attention_heads);
  if (t.head_dim % 2 != 0) r.fail_key(r.find("head_dim").second, "must be even for rotary embeddings");
  if (t.num_attention_heads % t.num_key_value_heads != 0)
    r.fail_key(r.find("num_key_value_heads").second,
               std::to_string(t.num_key_value_heads) + " does not divide num_attention_heads " +
                   std::to_string(t.num_attention_heads));
  t.rms_norm_eps = r.positive_number_or("rms_norm_eps", 1e-6);
  t.rope_theta = r.positive_number_or("rope_theta", 1000000.0);
  // In the nested layout HF reads tie_word_embeddings from text_config only (default false).
  if (nested) {
    const Reader text_only(origin, nested, "text_config.", nullptr);
    t.tie_word_embeddings = text_only.bool_or("tie_word_embeddings", false);
  } else {
    t.tie_word_embeddings = r.bool_or("tie_word_embeddings", false);
  }
  const std::string act = r.string_or("hidden_act", "silu");
  if (act != "silu") r.fail_key(r.find("hidden_act").second, "only 'silu' is supported, found '" + act + "'");

  auto [rope, rope_key] = r.find("rope_scaling");
  if (rope && !rope->is_null()) {
    if (!rope->is_object()) r.fail_key(rope_key, "must be an object");
    const std::string section_key = rope_key + ".mrope_section";
    if (!rope->contains("mrope_section")) r.fail_key(section_key, "missing (Qwen2.5-VL needs M-RoPE)");
    const Json& section = (*rope)["mrope_section"];
    if (!section.is_array() || section.size() != 3)
      r.fail_key(section_key, "must be an array of 3 integers, found " + section.dump());
    int64_t sum = 0;
    for (size_t i = 0; i < 3; ++i) {
      if (!section[i].is_number_integer() || section[i].get<int64_t>() < 0)
        r.fail_key(section_key, "must hold non-negative integers, found " + section.dump());
      t.mrope_section[i] = section[i].get<int64_t>();
      sum += t.mrope_section[i];
    }
    if (sum != t.head_dim / 2)
      r.fail_key(section_key, "sums to " + std::to_string(sum) + ", expected head_dim/2 = " +
                                  std::to_string(t.head_dim / 2));
  } else if (t.mrope_section[0] + t.mrope_section[1] + t.mrope_section[2] != t.head_dim / 2) {
    r.fail_key(rope_key, "missing, and the default mrope_section [16, 24, 24] does not fit head_dim " +
                             std::to_string(t.head_dim));
  }

  // Token ids live at the top level in both layouts.
  const Reader top(origin, &root, "", nullptr);
  t.bos_token_id = top.int_or("bos_token_id", t.bos_token_id);
  t.eos_token_id = top.int_or("eos_token_id", t.eos_token_id);
  t.pad_token_id = top.int_or("pad_token_id", t.pad_token_id);
  t.image_token_id = top.int_or("image_token_id", t.image_token_id);
  t.video_token_id = top.int_or("video_token_id", t.video_token_id);
  t.vision_start_token_id = top.int_or("vision_start_token_id", t.vision_start_token_id);
  t.vision_end_token_id = top.int_or("vision_end_token_id", t.vision_end_token_id);
  for (auto [id, key] : {std::pair{t.image_token_id, "image_token_id"}, {t.pad_token_id, "pad_token_id"}})
    if (id < 0 || id >= t.vocab_size)
      fail(origin, std::string(key) + ": " + std::to_string(id) + " is outside the vocabulary [0, " +
                       std::to_string(t.vocab_size) + ")");
  return t;
}

VisionConfig parse_vision(const Json& root, const fs::path& origin) {
  VisionConfig v;
  if (!root.contains("vision_config") || root["vision_config"].is_null()) return v;  // text-only
  if (!root["vision_config"].is_object()) fail(origin, "vision_config: must be an object");
  const Reader r(origin, &root["vision_config"], "vision_config.", nullptr);
  v.depth = r.positive_int("depth");
  v.hidden_size = r.positive_int("hidden_size");
  v.num_heads = r.positive_int("num_heads");
  v.intermediate_size = r.positive_int("intermediate_size");
  v.patch_size = r.positive_int_or("patch_size", 14);
  v.temporal_patch_size = r.positive_int_or("temporal_patch_size", 2);
  v.spatial_merge_size = r.positive_int_or("spatial_merge_size", 2);
  v.window_size = r.positive_int_or("window_size", 112);
  v.out_hidden_size = r.positive_int("out_hidden_size");
  v.in_chans = r.positive_int_or("in_chans", r.positive_int_or("in_channels", 3));
  if (v.hidden_size % v.num_heads != 0)
    r.fail_key("vision_config.hidden_size", std::to_string(v.hidden_size) +
                                                " is not divisible by num_heads " + std::to_string(v.num_heads));
  if (v.head_dim() % 4 != 0)
    r.fail_key("vision_config.num_heads", "head_dim " + std::to_string(v.head_dim()) +
                                              " must be a multiple of 4 for the 2-D rotary embedding");
  const std::string act = r.string_or("hidden_act", "silu");
  if (act != "silu") r.fail_key("vision_config.hidden_act", "only 'silu' is supported, found '" + act + "'");
  auto [full, full_key] = r.find("fullatt_block_indexes");
  if (full && !full->is_null()) {
    if (!full->is_array()) r.fail_key(full_key, "must be an array of block indexes");
    for (const auto& idx : *full) {
      if (!idx.is_number_integer() || idx.get<int64_t>() < 0 || idx.get<int64_t>() >= v.depth)
        r.fail_key(full_key, "entries must be integers in [0, depth), found " + idx.dump());
      v.fullatt_block_indexes.push_back(idx.get<int64_t>());
    }
  }
  return v;
}

}  // namespace

ModelConfig parse_config(const Json& json, const fs::path& origin) {
  if (!json.is_object()) fail(origin, "config must be a JSON object");
  ModelConfig config;
  config.source = origin;
  config.text = parse_text(json, origin);
  config.vision = parse_vision(json, origin);
  if (config.vision.depth > 0 && config.vision.out_hidden_size != config.text.hidden_size)
    fail(origin, "vision_config.out_hidden_size: " + std::to_string(config.vision.out_hidden_size) +
                     " differs from the language hidden_size " + std::to_string(config.text.hidden_size));
  return config;
}

ModelConfig load_config(const fs::path& path) {
  std::error_code ec;
  const fs::path file = fs::is_directory(path, ec) ? path / "config.json" : path;
  return parse_config(read_json_file(file), file);
}

}  // namespace vlq::model
