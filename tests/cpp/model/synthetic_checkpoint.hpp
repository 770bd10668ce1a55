#pragma once
// Test helper: writes small safetensors files and checkpoint directories at test time, so the
// loader's validation can be exercised on exactly-controlled bytes (and nothing binary is
// committed).
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "vlq/core/json.hpp"
#include "vlq/model/qwen2_5_vl.hpp"

namespace vlq::model::testing {

struct RawTensor {
  std::string dtype = "F32";
  std::vector<int64_t> shape;
  std::vector<unsigned char> bytes;
};

inline std::vector<unsigned char> f32_bytes(const std::vector<float>& v) {
  std::vector<unsigned char> out(v.size() * 4);
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

// bf16 by truncation (tests compare against the same truncated values).
inline std::vector<unsigned char> bf16_bytes(const std::vector<float>& v) {
  std::vector<unsigned char> out(v.size() * 2);
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &v[i], 4);
    const uint16_t hi = static_cast<uint16_t>(bits >> 16);
    std::memcpy(out.data() + 2 * i, &hi, 2);
  }
  return out;
}

// Header JSON text for `tensors` laid out back to back in map order.
inline std::string header_json(const std::map<std::string, RawTensor>& tensors) {
  Json header = Json::object();
  size_t offset = 0;
  for (const auto& [name, t] : tensors) {
    header[name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  header["__metadata__"] = {{"format", "pt"}};
  return header.dump();
}

// Writes raw bytes: 8-byte little-endian header length, header text, data.
inline void write_raw(const std::filesystem::path& path, const std::string& header,
                      const std::vector<unsigned char>& data, uint64_t declared_len) {
  std::ofstream out(path, std::ios::binary);
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((declared_len >> (8 * i)) & 0xff));
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

inline void write_safetensors(const std::filesystem::path& path,
                              const std::map<std::string, RawTensor>& tensors) {
  std::vector<unsigned char> data;
  for (const auto& [name, t] : tensors) data.insert(data.end(), t.bytes.begin(), t.bytes.end());
  const std::string header = header_json(tensors);
  write_raw(path, header, data, header.size());
}

// A tiny Qwen2.5-VL-shaped text model (no vision tower) with random weights.
struct TinyTextSpec {
  int64_t hidden = 16, intermediate = 24, layers = 2, heads = 4, kv_heads = 2, vocab = 64;
  bool tie = true;
  std::string dtype = "F32";
};

inline std::string tiny_config_json(const TinyTextSpec& s) {
  Json c = {{"architectures", {"Qwen2_5_VLForConditionalGeneration"}},
            {"model_type", "qwen2_5_vl"},
            {"hidden_size", s.hidden},
            {"intermediate_size", s.intermediate},
            {"num_hidden_layers", s.layers},
            {"num_attention_heads", s.heads},
            {"num_key_value_heads", s.kv_heads},
            {"vocab_size", s.vocab},
            {"rms_norm_eps", 1e-6},
            {"rope_theta", 10000.0},
            {"tie_word_embeddings", s.tie},
            {"hidden_act", "silu"},
            {"image_token_id", s.vocab - 1},
            {"pad_token_id", 0},
            {"rope_scaling", {{"type", "mrope"}, {"mrope_section", {0, 0, 0}}}}};
  const int64_t half = s.hidden / s.heads / 2;
  c["rope_scaling"]["mrope_section"] = {half - 2 * (half / 3), half / 3, half / 3};
  return c.dump(1);
}

inline std::map<std::string, RawTensor> tiny_text_tensors(const TinyTextSpec& s, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  std::map<std::string, RawTensor> t;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, float mean = 0.0f) {
    size_t n = 1;
    for (auto d : shape) n *= static_cast<size_t>(d);
    std::vector<float> v(n);
    for (auto& x : v) x = mean + normal(rng);
    t[name] = RawTensor{s.dtype, shape, s.dtype == "BF16" ? bf16_bytes(v) : f32_bytes(v)};
  };
  const int64_t D = s.hidden / s.heads;
  add("model.embed_tokens.weight", {s.vocab, s.hidden});
  add("model.norm.weight", {s.hidden}, 1.0f);
  if (!s.tie) add("lm_head.weight", {s.vocab, s.hidden});
  for (int64_t l = 0; l < s.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", {s.hidden}, 1.0f);
    add(p + "post_attention_layernorm.weight", {s.hidden}, 1.0f);
    add(p + "self_attn.q_proj.weight", {s.heads * D, s.hidden});
    add(p + "self_attn.q_proj.bias", {s.heads * D});
    add(p + "self_attn.k_proj.weight", {s.kv_heads * D, s.hidden});
    add(p + "self_attn.k_proj.bias", {s.kv_heads * D});
    add(p + "self_attn.v_proj.weight", {s.kv_heads * D, s.hidden});
    add(p + "self_attn.v_proj.bias", {s.kv_heads * D});
    add(p + "self_attn.o_proj.weight", {s.hidden, s.heads * D});
    add(p + "mlp.gate_proj.weight", {s.intermediate, s.hidden});
    add(p + "mlp.up_proj.weight", {s.intermediate, s.hidden});
    add(p + "mlp.down_proj.weight", {s.hidden, s.intermediate});
  }
  return t;
}

inline void write_tiny_model(const std::filesystem::path& dir, const TinyTextSpec& spec,
                             const std::map<std::string, RawTensor>& tensors) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "config.json") << tiny_config_json(spec);
  write_safetensors(dir / "model.safetensors", tensors);
}

// A fresh temporary directory removed at scope exit.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("vlq_model_test_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Two rows of 7 token ids (< 64, the tiny vocabulary), the second right-padded by 3, with
// caption-style labels (-100 on the prompt and on padding): the batch most model tests run.
struct PaddedTextBatch {
  int64_t B = 2, L = 7;
  std::vector<int64_t> ids{5, 9, 3, 17, 33, 2, 8, /**/ 11, 4, 60, 7, 0, 0, 0};
  std::vector<int64_t> mask{1, 1, 1, 1, 1, 1, 1, /**/ 1, 1, 1, 1, 0, 0, 0};
  std::vector<int64_t> labels{-100, -100, 3, 17, 33, 2, 8, /**/ -100, 4, 60, 7, -100, -100, -100};
  ModelInputs inputs() const {
    ModelInputs in;
    in.batch_size = B;
    in.seq_len = L;
    in.input_ids = ids;
    in.attention_mask = mask;
    return in;
  }
};

}  // namespace vlq::model::testing
