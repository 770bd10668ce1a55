#include "vlq/model/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include "vlq/core/error.hpp"
#include "vlq/core/json.hpp"

namespace vlq::model {

namespace fs = std::filesystem;

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

[[noreturn]] void fail_tensor(const fs::path& file, std::string_view name, std::string_view what) {
  fail(file, "tensor '" + std::string(name) + "': " + std::string(what));
}

// Reads a JSON non-negative integer that fits int64.
std::optional<int64_t> as_index(const Json& j) {
  if (j.is_number_unsigned() && j.get<uint64_t>() <= uint64_t(std::numeric_limits<int64_t>::max()))
    return static_cast<int64_t>(j.get<uint64_t>());
  if (j.is_number_integer() && j.get<int64_t>() >= 0) return j.get<int64_t>();
  return std::nullopt;
}

[[noreturn]] void fail_pickle(const fs::path& where) {
  fail(where,
       "PyTorch pickle checkpoint (.bin) is not read by vlq (unpickling can run arbitrary code); "
       "convert to safetensors, e.g. model.save_pretrained(dir, safe_serialization=True)");
}

}  // namespace

SafetensorsFile SafetensorsFile::open(const fs::path& path) {
  if (path.extension() == ".bin") fail_pickle(path);
  SafetensorsFile file;
  file.path_ = std::make_unique<fs::path>(path);
  file.mapping_ = std::make_unique<MappedFile>(path);
  const std::span<const std::byte> bytes = file.mapping_->bytes();
  if (bytes.size() < 8)
    fail(path, "not a safetensors file: " + std::to_string(bytes.size()) +
                   " bytes, shorter than the 8-byte header length");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | uint64_t(bytes[size_t(i)]);
  if (header_len > bytes.size() - 8)
    fail(path, "header length " + std::to_string(header_len) + " runs past the end of the file (" +
                   std::to_string(bytes.size()) + " bytes)");
  const std::string_view header_text(reinterpret_cast<const char*>(bytes.data() + 8),
                                     static_cast<size_t>(header_len));
  const Json header = parse_json(header_text, path);
  if (!header.is_object()) fail(path, "safetensors header is not a JSON object");
  const std::span<const std::byte> data = bytes.subspan(8 + static_cast<size_t>(header_len));
  const uint64_t data_size = data.size();

  struct Range {
    uint64_t begin, end;
    const std::string* name;
  };
  std::vector<Range> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    if (!entry.is_object()) fail_tensor(path, name, "header entry is not an object");
    const auto dtype_it = entry.find("dtype");
    const auto shape_it = entry.find("shape");
    const auto offsets_it = entry.find("data_offsets");
    if (dtype_it == entry.end() || !dtype_it->is_string())
      fail_tensor(path, name, "missing or non-string 'dtype'");
    if (shape_it == entry.end() || !shape_it->is_array())
      fail_tensor(path, name, "missing or non-array 'shape'");
    if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2)
      fail_tensor(path, name, "'data_offsets' must be an array [begin, end]");
    const std::string dtype_text = dtype_it->get<std::string>();
    const auto dtype = parse_dtype(dtype_text);
    if (!dtype) fail_tensor(path, name, "unsupported dtype '" + dtype_text + "' (expected F32, F16 or BF16)");
    TensorInfo info;
    info.name = name;
    info.dtype = *dtype;
    // numel × element size must not overflow; dims are bounded by the data size anyway.
    unsigned __int128 expected_bytes = dtype_size(*dtype);
    for (const auto& d : *shape_it) {
      const auto dim = as_index(d);
      if (!dim) fail_tensor(path, name, "shape entries must be non-negative integers");
      info.shape.push_back(*dim);
      expected_bytes *= static_cast<uint64_t>(*dim);
      if (expected_bytes > data_size) expected_bytes = uint64_t(data_size) + 1;  // clamp: too big anyway
    }
    const auto begin = as_index((*offsets_it)[0]);
    const auto end = as_index((*offsets_it)[1]);
    if (!begin || !end) fail_tensor(path, name, "data_offsets must be non-negative integers");
    if (*begin > *end)
      fail_tensor(path, name, "data_offsets begin " + std::to_string(*begin) + " > end " + std::to_string(*end));
    if (static_cast<uint64_t>(*end) > data_size)
      fail_tensor(path, name, "data_offsets end " + std::to_string(*end) +
                                  " is past the data section (" + std::to_string(data_size) + " bytes)");
    const uint64_t length = static_cast<uint64_t>(*end - *begin);
    if (expected_bytes != length)
      fail_tensor(path, name, "shape " + shape_string(info.shape) + " × " +
                                  std::to_string(dtype_size(*dtype)) + " bytes (" + dtype_text +
                                  ") does not match the byte length " + std::to_string(length));
    info.bytes = data.subspan(static_cast<size_t>(*begin), static_cast<size_t>(length));
    info.file = file.path_.get();
    auto [it, inserted] = file.tensors_.emplace(name, std::move(info));
    ranges.push_back({static_cast<uint64_t>(*begin), static_cast<uint64_t>(*end), &it->first});
  }
  // The tensors must tile the data section exactly: sorted by offset, each starts where the
  // previous ended (no overlap, no hole), the last ends at the end of the file.
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t cursor = 0;
  for (const Range& r : ranges) {
    if (r.begin < cursor)
      fail_tensor(path, *r.name, "data_offsets [" + std::to_string(r.begin) + ", " +
                                     std::to_string(r.end) + ") overlap the previous tensor (ends at " +
                                     std::to_string(cursor) + ")");
    if (r.begin > cursor)
      fail_tensor(path, *r.name, "data_offsets leave a gap: begins at " + std::to_string(r.begin) +
                                     ", previous tensor ends at " + std::to_string(cursor));
    cursor = r.end;
  }
  if (cursor != data_size)
    fail(path, "tensors cover " + std::to_string(cursor) + " of the " + std::to_string(data_size) +
                   " data bytes (trailing bytes or truncated header)");
  return file;
}

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

SafetensorsSet SafetensorsSet::open(const fs::path& path) {
  SafetensorsSet set;
  set.origin_ = path;
  std::error_code ec;
  fs::path single, index;
  if (fs::is_directory(path, ec)) {
    single = path / "model.safetensors";
    index = path / "model.safetensors.index.json";
    if (!fs::exists(single, ec) && !fs::exists(index, ec)) {
      for (const char* pickle : {"pytorch_model.bin", "pytorch_model.bin.index.json"})
        if (fs::exists(path / pickle, ec)) fail_pickle(path / pickle);
      fail(path, "no model.safetensors or model.safetensors.index.json in this directory");
    }
    if (fs::exists(single, ec)) index.clear();
    else single.clear();
  } else if (path.extension() == ".json") {
    index = path;
  } else {
    single = path;
  }

  if (!single.empty()) {
    set.files_.push_back(SafetensorsFile::open(single));
  } else {
    const Json j = read_json_file(index);
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
      fail(index, "missing 'weight_map' object");
    std::map<std::string, std::vector<std::string>> by_shard;
    for (const auto& [name, shard] : j["weight_map"].items()) {
      if (!shard.is_string()) fail(index, "weight_map['" + name + "'] is not a file name");
      const std::string shard_name = shard.get<std::string>();
      // Shards are siblings of the index: refuse paths that could leave the directory.
      if (shard_name.empty() || shard_name.find('/') != std::string::npos || shard_name == "..")
        fail(index, "weight_map['" + name + "'] = '" + shard_name + "' is not a plain file name");
      by_shard[shard_name].push_back(name);
    }
    if (by_shard.empty()) fail(index, "weight_map is empty");
    for (const auto& [shard_name, names] : by_shard) {
      SafetensorsFile file = SafetensorsFile::open(index.parent_path() / shard_name);
      for (const auto& name : names)
        if (!file.find(name))
          fail(index, "tensor '" + name + "' is listed in weight_map but absent from " + shard_name);
      set.files_.push_back(std::move(file));
    }
  }
  for (const auto& file : set.files_) {
    for (const auto& [name, info] : file.tensors()) {
      auto [it, inserted] = set.index_.emplace(name, &info);
      if (!inserted)
        fail(file.path(), "tensor '" + name + "' also appears in " + it->second->file->string());
    }
  }
  return set;
}

const TensorInfo* SafetensorsSet::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

std::vector<std::string> SafetensorsSet::names() const {
  std::vector<std::string> out;
  out.reserve(index_.size());
  for (const auto& [name, info] : index_) out.push_back(name);
  return out;
}

}  // namespace vlq::model
