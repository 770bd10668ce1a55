#pragma once
// A Qwen2.5-VL checkpoint directory's weights, addressed by HF name in either spelling:
// legacy (`model.layers.*`, `model.embed_tokens.*`, `model.norm.*`, `visual.*`, `lm_head.*`,
// what 4.x save_pretrained writes) or 4.52+ module names (`model.language_model.*`,
// `model.visual.*`). Names are normalised to the legacy spelling on load, so callers may use
// either. Tensors stay memory-mapped in their stored dtype; load_f32/read_f32 widen on demand.
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vlq/model/dtype.hpp"
#include "vlq/model/safetensors.hpp"

namespace vlq::model {

// "model.language_model.layers.0..." → "model.layers.0...", "model.visual.x" → "visual.x";
// legacy names are returned unchanged.
std::string to_legacy_name(std::string_view name);

class Checkpoint {
 public:
  // `dir` holds model.safetensors or model.safetensors.index.json (+ shards).
  static Checkpoint open(const std::filesystem::path& dir);

  bool contains(std::string_view name) const;
  // Missing → vlq::Error "<dir>: missing tensor '<name>'".
  const TensorInfo& tensor(std::string_view name) const;
  const std::vector<int64_t>& shape(std::string_view name) const { return tensor(name).shape; }
  DType dtype(std::string_view name) const { return tensor(name).dtype; }

  // Shape differs → vlq::Error "<file>: tensor '<name>': expected shape [a, b], found [c, d]".
  void expect_shape(std::string_view name, std::span<const int64_t> expected) const;

  std::vector<float> load_f32(std::string_view name) const;
  // out.size() must equal the tensor's element count.
  void read_f32(std::string_view name, std::span<float> out) const;

  std::vector<std::string> names() const;  // legacy spelling, sorted
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  SafetensorsSet set_;
  std::map<std::string, const TensorInfo*, std::less<>> legacy_index_;
};

}  // namespace vlq::model
