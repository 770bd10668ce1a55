#pragma once
// safetensors reader over mmap (core/mapped_file.hpp): one file, or a sharded checkpoint
// described by model.safetensors.index.json. Every header field is validated when the file is
// opened (8-byte header length inside the file, well-formed JSON, known dtype, shape × dtype size
// = byte length, offsets in bounds, non-overlapping and covering the data section) so later
// reads cannot go out of bounds. Errors are one line: "<file>: tensor '<name>': <what>".
// Pickled `.bin` checkpoints are never read: they get a "convert to safetensors" error.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vlq/core/mapped_file.hpp"
#include "vlq/model/dtype.hpp"

namespace vlq::model {

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  std::span<const std::byte> bytes;  // points into the mapping of `file`
  const std::filesystem::path* file = nullptr;

  int64_t numel() const;
};

// One mapped .safetensors file. Movable; TensorInfo spans stay valid across moves because the
// mapping and path live on the heap.
class SafetensorsFile {
 public:
  static SafetensorsFile open(const std::filesystem::path& path);

  const TensorInfo* find(std::string_view name) const;  // nullptr if absent
  const std::map<std::string, TensorInfo, std::less<>>& tensors() const { return tensors_; }
  const std::filesystem::path& path() const { return *path_; }

 private:
  SafetensorsFile() = default;
  std::unique_ptr<std::filesystem::path> path_;
  std::unique_ptr<MappedFile> mapping_;
  std::map<std::string, TensorInfo, std::less<>> tensors_;
};

// All tensors of a checkpoint directory: `model.safetensors`, or the shards listed in
// `model.safetensors.index.json` ("weight_map": name → shard file). The index must agree with
// the shards (every listed tensor present in its shard; no tensor in two shards).
class SafetensorsSet {
 public:
  // `path` is a directory, a .safetensors file or an index .json file.
  // A directory holding only pytorch_model*.bin → vlq::Error "... convert to safetensors ...".
  static SafetensorsSet open(const std::filesystem::path& path);

  const TensorInfo* find(std::string_view name) const;  // nullptr if absent
  std::vector<std::string> names() const;
  const std::filesystem::path& origin() const { return origin_; }

 private:
  std::filesystem::path origin_;
  std::vector<SafetensorsFile> files_;
  std::map<std::string, const TensorInfo*, std::less<>> index_;
};

}  // namespace vlq::model
