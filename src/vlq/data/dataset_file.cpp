#include "vlq/data/dataset_file.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <set>
#include <string_view>

#include "vlq/core/error.hpp"
#include "vlq/core/file_io.hpp"
#include "vlq/core/mapped_file.hpp"
#include "vlq/text/sha256.hpp"

namespace vlq::data {

static_assert(std::endian::native == std::endian::little,
              "shards are little-endian and written/read with memcpy");

namespace {

constexpr std::string_view kShardMagic = "VLQSHRD1";
constexpr int kFormatVersion = 1;

struct ShardRecord {
  uint64_t token_offset, token_count, text_offset, text_size;
  int64_t sample_index, untruncated_length, grid_t, grid_h, grid_w;
  uint64_t pixel_offset, pixel_count;
};
static_assert(sizeof(ShardRecord) == 88);

template <typename T>
void append_pod(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
void append_array(std::string& out, const std::vector<T>& values) {
  if (!values.empty()) out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

std::string shard_name(size_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "shard-%05zu.bin", index);
  return name;
}

std::string encode_shard(std::span<const Example> examples) {
  std::vector<ShardRecord> records;
  std::vector<int32_t> ids, labels;
  std::vector<float> pixels;
  std::string text;
  for (const Example& e : examples) {
    records.push_back({ids.size(), e.input_ids.size(), text.size(), e.prompt_text.size(),
                       e.sample_index, e.untruncated_length,
                       e.has_image ? e.grid_thw[0] : 0, e.has_image ? e.grid_thw[1] : 0,
                       e.has_image ? e.grid_thw[2] : 0, pixels.size(), e.pixel_values.size()});
    ids.insert(ids.end(), e.input_ids.begin(), e.input_ids.end());
    labels.insert(labels.end(), e.labels.begin(), e.labels.end());
    pixels.insert(pixels.end(), e.pixel_values.begin(), e.pixel_values.end());
    text += e.prompt_text;
  }
  std::string out;
  out.append(kShardMagic);
  append_pod(out, static_cast<uint64_t>(records.size()));
  append_pod(out, static_cast<uint64_t>(ids.size()));
  append_pod(out, static_cast<uint64_t>(pixels.size()));
  append_pod(out, static_cast<uint64_t>(text.size()));
  for (const ShardRecord& r : records) append_pod(out, r);
  append_array(out, ids);
  append_array(out, labels);
  append_array(out, pixels);
  out += text;
  return out;
}

// Bounds-checked reading of a mapped shard: every count is validated against the file size
// before any array is touched.
class ShardReader {
 public:
  ShardReader(std::span<const std::byte> bytes, const std::filesystem::path& path)
      : bytes_(bytes), path_(path) {}

  template <typename T>
  T pod() {
    T value;
    std::memcpy(&value, take(sizeof(T)), sizeof(T));
    return value;
  }
  template <typename T>
  std::vector<T> array(uint64_t count) {
    if (count > (bytes_.size() - pos_) / sizeof(T)) fail(path_, "shard is truncated");
    std::vector<T> values(count);
    if (count) std::memcpy(values.data(), take(count * sizeof(T)), count * sizeof(T));
    return values;
  }
  std::string_view text(uint64_t size) {
    return {reinterpret_cast<const char*>(take(size)), static_cast<size_t>(size)};
  }
  bool at_end() const { return pos_ == bytes_.size(); }

 private:
  const std::byte* take(uint64_t size) {
    if (size > bytes_.size() - pos_) fail(path_, "shard is truncated");
    const std::byte* p = bytes_.data() + pos_;
    pos_ += size;
    return p;
  }
  std::span<const std::byte> bytes_;
  const std::filesystem::path& path_;
  size_t pos_ = 0;
};

bool within(uint64_t offset, uint64_t count, uint64_t total) { return offset <= total && count <= total - offset; }

void decode_shard(const std::filesystem::path& path, std::vector<Example>& out) {
  MappedFile file(path);
  ShardReader reader(file.bytes(), path);
  if (reader.text(kShardMagic.size()) != kShardMagic) fail(path, "not a vlq dataset shard (bad magic)");
  const auto examples = reader.pod<uint64_t>();
  const auto tokens = reader.pod<uint64_t>();
  const auto pixel_floats = reader.pod<uint64_t>();
  const auto text_bytes = reader.pod<uint64_t>();
  const auto records = reader.array<ShardRecord>(examples);
  const auto ids = reader.array<int32_t>(tokens);
  const auto labels = reader.array<int32_t>(tokens);
  const auto pixels = reader.array<float>(pixel_floats);
  const std::string_view text = reader.text(text_bytes);
  if (!reader.at_end()) fail(path, "shard has trailing bytes");
  for (const ShardRecord& r : records) {
    if (!within(r.token_offset, r.token_count, tokens) || !within(r.text_offset, r.text_size, text_bytes) ||
        !within(r.pixel_offset, r.pixel_count, pixel_floats) || r.untruncated_length < 0) {
      fail(path, "shard record points outside its arrays");
    }
    Example e;
    e.input_ids.assign(ids.begin() + static_cast<std::ptrdiff_t>(r.token_offset),
                       ids.begin() + static_cast<std::ptrdiff_t>(r.token_offset + r.token_count));
    e.labels.assign(labels.begin() + static_cast<std::ptrdiff_t>(r.token_offset),
                    labels.begin() + static_cast<std::ptrdiff_t>(r.token_offset + r.token_count));
    e.prompt_text = std::string(text.substr(r.text_offset, r.text_size));
    e.sample_index = r.sample_index;
    e.untruncated_length = r.untruncated_length;
    e.has_image = r.grid_t > 0;
    e.grid_thw = {r.grid_t, r.grid_h, r.grid_w};
    e.pixel_values.assign(pixels.begin() + static_cast<std::ptrdiff_t>(r.pixel_offset),
                          pixels.begin() + static_cast<std::ptrdiff_t>(r.pixel_offset + r.pixel_count));
    out.push_back(std::move(e));
  }
}

Json order_to_json(const BatchOrderConfig& order) {
  return {{"batch_size", order.batch_size},
          {"shuffle", order.shuffle},
          {"seed", order.seed},
          {"bucket_by_length", order.bucket_by_length}};
}

template <typename T>
T manifest_value(const Json& manifest, const char* key, const std::filesystem::path& path) {
  auto it = manifest.find(key);
  if (it == manifest.end()) fail(path, std::string("manifest lacks \"") + key + "\"");
  try {
    return it->get<T>();
  } catch (const Json::exception&) {
    fail(path, std::string("manifest field \"") + key + "\" has the wrong type");
  }
}

}  // namespace

std::string sha256_of_file(const std::filesystem::path& path) { return text::sha256_hex(read_file(path)); }

void write_dataset(const std::filesystem::path& dir, const Loader& loader, const DatasetInfo& info) {
  // Encode and hash everything before touching the directory, so errors leave nothing behind.
  const auto examples = loader.examples();
  std::vector<std::string> shards;
  for (size_t start = 0; start < examples.size() || shards.empty(); start += kExamplesPerShard) {
    const size_t count = std::min<size_t>(kExamplesPerShard, examples.size() - start);
    shards.push_back(encode_shard(examples.subspan(start, count)));
    if (examples.empty()) break;
  }
  Json sources = Json::array();
  for (const auto& file : info.source_files) {
    std::error_code ec;
    sources.push_back({{"path", file.string()},
                       {"bytes", std::filesystem::file_size(file, ec)},
                       {"sha256", sha256_of_file(file)}});
  }
  Json shard_list = Json::array();
  for (size_t i = 0; i < shards.size(); ++i) {
    shard_list.push_back({{"file", shard_name(i)},
                          {"examples", std::min<size_t>(kExamplesPerShard, examples.size() - i * kExamplesPerShard)},
                          {"bytes", shards[i].size()},
                          {"sha256", text::sha256_hex(shards[i])}});
  }
  const Json manifest = {{"format", "vlq-dataset"},
                         {"version", kFormatVersion},
                         {"split", info.split},
                         {"num_examples", examples.size()},
                         {"pad_token_id", loader.pad_token_id()},
                         {"tokenizer_fingerprint", info.tokenizer_fingerprint},
                         {"chat_template_fingerprint", info.chat_template_fingerprint},
                         {"config", info.config},
                         {"config_hash", text::sha256_hex(info.config.dump())},
                         {"sources", sources},
                         {"loader", order_to_json(loader.order())},
                         {"report", info.report},
                         {"shards", shard_list}};

  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail(dir, "cannot create directory: " + ec.message());
  for (size_t i = 0; i < shards.size(); ++i) write_file_atomic(dir / shard_name(i), shards[i]);
  write_file_atomic(dir / kManifestFileName, manifest.dump(2) + "\n");
  // Shards of an earlier, larger build are no longer referenced; remove them.
  for (size_t i = shards.size();; ++i) {
    if (!std::filesystem::remove(dir / shard_name(i), ec)) break;
  }
}

Dataset read_dataset(const std::filesystem::path& dir) {
  const std::filesystem::path manifest_path = dir / kManifestFileName;
  Dataset dataset;
  dataset.manifest = read_json_file(manifest_path);
  const Json& m = dataset.manifest;
  if (!m.is_object() || m.value("format", "") != "vlq-dataset") fail(manifest_path, "not a vlq dataset manifest");
  if (manifest_value<int>(m, "version", manifest_path) != kFormatVersion) {
    fail(manifest_path, "unsupported dataset version");
  }
  const auto pad_token_id = manifest_value<int64_t>(m, "pad_token_id", manifest_path);
  const auto expected = manifest_value<uint64_t>(m, "num_examples", manifest_path);
  const Json loader_json = manifest_value<Json>(m, "loader", manifest_path);
  BatchOrderConfig order;
  try {
    order.batch_size = loader_json.at("batch_size").get<int64_t>();
    order.shuffle = loader_json.at("shuffle").get<bool>();
    order.seed = loader_json.at("seed").get<uint64_t>();
    order.bucket_by_length = loader_json.at("bucket_by_length").get<bool>();
  } catch (const Json::exception&) {
    fail(manifest_path, "manifest \"loader\" is incomplete");
  }
  std::vector<Example> examples;
  for (const Json& shard : manifest_value<Json>(m, "shards", manifest_path)) {
    std::string file;
    std::string sha;
    try {
      file = shard.at("file").get<std::string>();
      sha = shard.at("sha256").get<std::string>();
    } catch (const Json::exception&) {
      fail(manifest_path, "manifest shard entry lacks file/sha256");
    }
    if (file.find('/') != std::string::npos || file.empty() || file[0] == '.') {
      fail(manifest_path, "shard file name '" + file + "' is not a plain file name");
    }
    const std::filesystem::path shard_path = dir / file;
    if (sha256_of_file(shard_path) != sha) fail(shard_path, "sha256 does not match the manifest");
    decode_shard(shard_path, examples);
  }
  if (examples.size() != expected) fail(manifest_path, "shards hold a different number of examples than num_examples");
  dataset.loader = Loader(std::move(examples), order, pad_token_id);
  return dataset;
}

}  // namespace vlq::data
