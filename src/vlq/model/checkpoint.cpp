#include "vlq/model/checkpoint.hpp"

#include "vlq/core/error.hpp"

namespace vlq::model {

namespace {
std::string shape_string(std::span<const int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}
}  // namespace

std::string to_legacy_name(std::string_view name) {
  // The two renaming rules of transformers ≥ 4.52 (_checkpoint_conversion_mapping), reversed.
  constexpr std::string_view kLanguage = "model.language_model.";
  constexpr std::string_view kVisual = "model.visual.";
  if (name.starts_with(kLanguage)) return "model." + std::string(name.substr(kLanguage.size()));
  if (name.starts_with(kVisual)) return "visual." + std::string(name.substr(kVisual.size()));
  return std::string(name);
}

Checkpoint Checkpoint::open(const std::filesystem::path& dir) {
  Checkpoint ckpt;
  ckpt.dir_ = dir;
  ckpt.set_ = SafetensorsSet::open(dir);
  for (const auto& name : ckpt.set_.names()) {
    const TensorInfo* info = ckpt.set_.find(name);
    auto [it, inserted] = ckpt.legacy_index_.emplace(to_legacy_name(name), info);
    if (!inserted)
      fail(*info->file, "tensor '" + name + "' duplicates '" + it->second->name +
                            "' (the same weight under both name spellings)");
  }
  return ckpt;
}

bool Checkpoint::contains(std::string_view name) const {
  return legacy_index_.find(to_legacy_name(name)) != legacy_index_.end();
}

const TensorInfo& Checkpoint::tensor(std::string_view name) const {
  auto it = legacy_index_.find(to_legacy_name(name));
  if (it == legacy_index_.end()) fail(dir_, "missing tensor '" + std::string(name) + "'");
  return *it->second;
}

void Checkpoint::expect_shape(std::string_view name, std::span<const int64_t> expected) const {
  const TensorInfo& info = tensor(name);
  if (!std::equal(info.shape.begin(), info.shape.end(), expected.begin(), expected.end()))
    fail(*info.file, "tensor '" + info.name + "': expected shape " + shape_string(expected) +
                         " from config.json, found " + shape_string(info.shape));
}

std::vector<float> Checkpoint::load_f32(std::string_view name) const {
  const TensorInfo& info = tensor(name);
  std::vector<float> out(static_cast<size_t>(info.numel()));
  convert_to_f32(info.dtype, info.bytes, out);
  return out;
}

void Checkpoint::read_f32(std::string_view name, std::span<float> out) const {
  const TensorInfo& info = tensor(name);
  if (out.size() != static_cast<size_t>(info.numel()))
    fail(*info.file, "tensor '" + info.name + "': has " + std::to_string(info.numel()) +
                         " elements, caller expected " + std::to_string(out.size()));
  convert_to_f32(info.dtype, info.bytes, out);
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  for (const auto& [name, info] : legacy_index_) out.push_back(name);
  return out;
}

}  // namespace vlq::model
