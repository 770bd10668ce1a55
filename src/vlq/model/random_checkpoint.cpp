#include "vlq/model/random_checkpoint.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <numbers>
#include <random>

#include "vlq/core/error.hpp"
#include "vlq/core/file_io.hpp"

namespace vlq::model {

namespace {

// The published Qwen2.5-VL-3B-Instruct config.json without its sizes: what an empty `base`
// stands for (the demo passes the real file; this keeps the generator usable without it).
Json default_base_config() {
  return Json{{"architectures", {"Qwen2_5_VLForConditionalGeneration"}},
              {"attention_dropout", 0.0},
              {"bos_token_id", 151643},
              {"eos_token_id", 151645},
              {"vision_start_token_id", 151652},
              {"vision_end_token_id", 151653},
              {"vision_token_id", 151654},
              {"image_token_id", 151655},
              {"video_token_id", 151656},
              {"hidden_act", "silu"},
              {"initializer_range", 0.02},
              {"max_position_embeddings", 128000},
              {"max_window_layers", 70},
              {"model_type", "qwen2_5_vl"},
              {"rms_norm_eps", 1e-06},
              {"rope_theta", 1000000.0},
              {"sliding_window", 32768},
              {"use_cache", true},
              {"use_sliding_window", false},
              {"vision_config",
               {{"hidden_act", "silu"},
                {"in_chans", 3},
                {"patch_size", 14},
                {"spatial_merge_size", 2},
                {"spatial_patch_size", 14},
                {"window_size", 112},
                {"tokens_per_second", 2},
                {"temporal_patch_size", 2}}},
              {"rope_scaling", {{"type", "mrope"}, {"mrope_section", {16, 24, 24}}}}};
}

int64_t int_or(const Json& j, const char* key, int64_t fallback) {
  return j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : fallback;
}

// splitmix64: a tiny, fully specified generator (Steele et al. 2014), good enough for weights.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in (0, 1]: 53 random bits, never 0 (log(0) in Box–Muller).
  double uniform_open0() { return (static_cast<double>(next() >> 11) + 1.0) * 0x1.0p-53; }
};

uint64_t fnv1a64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// Round-to-nearest-even fp32 → bf16 (what torch's .to(bfloat16) does; values here are finite).
uint16_t f32_to_bf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// The tensor's values, little-endian in `dtype` (x86/ARM Linux are little-endian, as is the
// safetensors format, so the in-memory bytes are the file bytes).
std::string tensor_bytes(const RandomTensorSpec& t, const RandomCheckpointSpec& spec) {
  const int64_t n = numel(t.shape);
  std::vector<float> values(static_cast<size_t>(n), t.init == RandomTensorSpec::Init::kOnes ? 1.0f : 0.0f);
  if (t.init == RandomTensorSpec::Init::kNormal) {
    SplitMix64 rng{spec.seed ^ fnv1a64(t.name)};
    const double two_pi = 2.0 * std::numbers::pi;
    for (int64_t i = 0; i < n; i += 2) {
      const double r = std::sqrt(-2.0 * std::log(rng.uniform_open0())) * spec.init_std;
      const double a = two_pi * rng.uniform_open0();
      values[i] = static_cast<float>(r * std::cos(a));
      if (i + 1 < n) values[i + 1] = static_cast<float>(r * std::sin(a));
    }
  }
  std::string out;
  switch (spec.dtype) {
    case DType::kF32:
      out.resize(values.size() * 4);
      std::memcpy(out.data(), values.data(), out.size());
      break;
    case DType::kBF16: {
      out.resize(values.size() * 2);
      for (size_t i = 0; i < values.size(); ++i) {
        const uint16_t b = f32_to_bf16(values[i]);
        std::memcpy(out.data() + 2 * i, &b, 2);
      }
      break;
    }
    case DType::kF16:
      fail("random checkpoint: F16 weights are not supported (use F32 or BF16)");
  }
  return out;
}

void check_spec(const RandomCheckpointSpec& s) {
  auto positive = [](int64_t v, const char* what) {
    if (v <= 0) fail(std::string("random checkpoint: ") + what + " must be positive");
  };
  positive(s.hidden_size, "hidden_size");
  positive(s.intermediate_size, "intermediate_size");
  positive(s.num_hidden_layers, "num_hidden_layers");
  positive(s.num_attention_heads, "num_attention_heads");
  positive(s.num_key_value_heads, "num_key_value_heads");
  positive(s.vocab_size, "vocab_size");
  positive(s.vision_depth, "vision_depth");
  positive(s.vision_hidden_size, "vision_hidden_size");
  positive(s.vision_num_heads, "vision_num_heads");
  positive(s.vision_intermediate_size, "vision_intermediate_size");
  if (s.hidden_size % s.num_attention_heads != 0 || s.num_attention_heads % s.num_key_value_heads != 0)
    fail("random checkpoint: hidden_size must divide by heads and heads by kv heads");
  const int64_t half = s.hidden_size / s.num_attention_heads / 2;
  if (s.mrope_section[0] + s.mrope_section[1] + s.mrope_section[2] != half)
    fail("random checkpoint: mrope_section must sum to head_dim / 2 = " + std::to_string(half));
  for (int64_t i : s.fullatt_block_indexes)
    if (i < 0 || i >= s.vision_depth) fail("random checkpoint: fullatt_block_indexes out of range");
}

// Removes a staging directory unless released (exceptions leave nothing behind).
class StagingDir {
 public:
  explicit StagingDir(std::filesystem::path path) : path_(std::move(path)) {
    std::filesystem::create_directories(path_);
  }
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;
  ~StagingDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  void release() { path_.clear(); }

 private:
  std::filesystem::path path_;
};

void write_safetensors(const std::filesystem::path& path, const RandomCheckpointSpec& spec,
                       const std::vector<RandomTensorSpec>& tensors) {
  Json header = Json::object();
  header["__metadata__"] = {{"format", "pt"}};
  const size_t elem = dtype_size(spec.dtype);
  size_t offset = 0;
  for (const auto& t : tensors) {
    const size_t bytes = static_cast<size_t>(numel(t.shape)) * elem;
    header[t.name] = {{"dtype", dtype_name(spec.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  // The safetensors writer pads the header with spaces to 8 bytes so the data section is aligned.
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string len(8, '\0');
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((static_cast<uint64_t>(text.size()) >> (8 * i)) & 0xff);
  AtomicFileWriter out(path);
  out.write(len);
  out.write(text);
  // `tensors` is in name order, the order nlohmann's object (std::map) laid the offsets out in.
  for (const auto& t : tensors) out.write(tensor_bytes(t, spec));
  out.commit();
}

}  // namespace

Json random_checkpoint_config(const RandomCheckpointSpec& spec, const Json& base) {
  check_spec(spec);
  if (!base.is_object()) fail("random checkpoint: base config must be a JSON object");
  Json c = base.empty() ? default_base_config() : base;
  c.erase("text_config");
  c["hidden_size"] = spec.hidden_size;
  c["intermediate_size"] = spec.intermediate_size;
  c["num_hidden_layers"] = spec.num_hidden_layers;
  c["num_attention_heads"] = spec.num_attention_heads;
  c["num_key_value_heads"] = spec.num_key_value_heads;
  c["vocab_size"] = spec.vocab_size;
  c["tie_word_embeddings"] = spec.tie_word_embeddings;
  c["torch_dtype"] = spec.dtype == DType::kBF16 ? "bfloat16" : "float32";
  c["rope_scaling"] = {{"type", "mrope"},
                       {"mrope_section", {spec.mrope_section[0], spec.mrope_section[1], spec.mrope_section[2]}}};
  Json& v = c["vision_config"];
  if (!v.is_object()) v = default_base_config()["vision_config"];
  v["depth"] = spec.vision_depth;
  v["hidden_size"] = spec.vision_hidden_size;
  v["num_heads"] = spec.vision_num_heads;
  v["intermediate_size"] = spec.vision_intermediate_size;
  v["out_hidden_size"] = spec.hidden_size;
  v["fullatt_block_indexes"] = spec.fullatt_block_indexes;
  // A vocabulary that cannot hold the special tokens gives a checkpoint nothing can load.
  for (const auto& [key, value] : c.items())
    if (key.ends_with("_token_id") && value.is_number_integer() && value.get<int64_t>() >= spec.vocab_size)
      fail("random checkpoint: vocab_size " + std::to_string(spec.vocab_size) + " does not hold " + key + " " +
           std::to_string(value.get<int64_t>()));
  return c;
}

std::vector<RandomTensorSpec> random_checkpoint_tensors(const RandomCheckpointSpec& s, const Json& base) {
  check_spec(s);
  using Init = RandomTensorSpec::Init;
  std::vector<RandomTensorSpec> t;
  auto linear = [&](const std::string& name, int64_t in, int64_t out, bool bias) {
    t.push_back({name + ".weight", {out, in}, Init::kNormal});
    if (bias) t.push_back({name + ".bias", {out}, Init::kZeros});
  };
  const int64_t H = s.hidden_size, D = H / s.num_attention_heads;
  t.push_back({"model.embed_tokens.weight", {s.vocab_size, H}, Init::kNormal});
  t.push_back({"model.norm.weight", {H}, Init::kOnes});
  if (!s.tie_word_embeddings) linear("lm_head", H, s.vocab_size, false);
  for (int64_t l = 0; l < s.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    t.push_back({p + "input_layernorm.weight", {H}, Init::kOnes});
    t.push_back({p + "post_attention_layernorm.weight", {H}, Init::kOnes});
    linear(p + "self_attn.q_proj", H, s.num_attention_heads * D, true);
    linear(p + "self_attn.k_proj", H, s.num_key_value_heads * D, true);
    linear(p + "self_attn.v_proj", H, s.num_key_value_heads * D, true);
    linear(p + "self_attn.o_proj", s.num_attention_heads * D, H, false);
    linear(p + "mlp.gate_proj", H, s.intermediate_size, false);
    linear(p + "mlp.up_proj", H, s.intermediate_size, false);
    linear(p + "mlp.down_proj", s.intermediate_size, H, false);
  }
  const Json vision = random_checkpoint_config(s, base)["vision_config"];
  const int64_t vh = s.vision_hidden_size, vi = s.vision_intermediate_size;
  const int64_t patch = int_or(vision, "patch_size", 14), temporal = int_or(vision, "temporal_patch_size", 2);
  const int64_t merge = int_or(vision, "spatial_merge_size", 2), chans = int_or(vision, "in_chans", 3);
  // Conv3d with kernel = stride = (temporal, patch, patch), no bias.
  t.push_back({"visual.patch_embed.proj.weight", {vh, chans, temporal, patch, patch}, Init::kNormal});
  for (int64_t b = 0; b < s.vision_depth; ++b) {
    const std::string p = "visual.blocks." + std::to_string(b) + ".";
    t.push_back({p + "norm1.weight", {vh}, Init::kOnes});
    t.push_back({p + "norm2.weight", {vh}, Init::kOnes});
    linear(p + "attn.qkv", vh, 3 * vh, true);
    linear(p + "attn.proj", vh, vh, true);
    linear(p + "mlp.gate_proj", vh, vi, true);
    linear(p + "mlp.up_proj", vh, vi, true);
    linear(p + "mlp.down_proj", vi, vh, true);
  }
  const int64_t merged = vh * merge * merge;
  t.push_back({"visual.merger.ln_q.weight", {vh}, Init::kOnes});
  linear("visual.merger.mlp.0", merged, merged, true);
  linear("visual.merger.mlp.2", merged, H, true);
  std::sort(t.begin(), t.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return t;
}

Json write_random_checkpoint(const std::filesystem::path& dir, const RandomCheckpointSpec& spec,
                             const Json& base_config, std::span<const std::filesystem::path> companions) {
  const Json config = random_checkpoint_config(spec, base_config);
  const std::vector<RandomTensorSpec> tensors = random_checkpoint_tensors(spec, base_config);
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) fail(dir, "already exists (the random checkpoint is written only into a new directory)");
  for (const auto& f : companions)
    if (!std::filesystem::is_regular_file(f, ec)) fail(f, "file not found (needed next to the random checkpoint)");

  std::random_device rd;
  std::string name = ".";
  name += dir.filename().string();
  name += ".tmp" + std::to_string(getpid()) + "_" + std::to_string(rd());
  const std::filesystem::path parent = dir.has_parent_path() ? dir.parent_path() : std::filesystem::path(".");
  std::filesystem::create_directories(parent, ec);
  if (ec) fail(parent, "cannot create directory: " + ec.message());
  StagingDir staging(parent / name);

  write_file_atomic(staging.path() / "config.json", config.dump(2) + "\n");
  write_safetensors(staging.path() / "model.safetensors", spec, tensors);
  for (const auto& f : companions) write_file_atomic(staging.path() / f.filename(), read_file(f));

  if (::rename(staging.path().c_str(), dir.c_str()) != 0) {
    const int err = errno;
    // Lost a race with another writer of the same entry: theirs is complete (it was renamed in).
    if ((err == ENOTEMPTY || err == EEXIST) && std::filesystem::is_regular_file(dir / "config.json", ec)) return config;
    fail(dir, std::string("cannot rename the generated checkpoint into place: ") + std::strerror(err));
  }
  staging.release();
  return config;
}

}  // namespace vlq::model
