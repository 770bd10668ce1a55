#include "vlq/text/tokenizer_files.hpp"

#include <unordered_map>

#include "vlq/core/error.hpp"
#include "vlq/core/file_io.hpp"
#include "vlq/core/json.hpp"

namespace vlq::text {
namespace fs = std::filesystem;
namespace {

// The pre-tokenizer regex this library implements (pretokenizer.cpp); a tokenizer.json with any
// other pattern would tokenize differently, so it is rejected.
constexpr std::string_view kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

using VocabIndex = std::unordered_map<std::string, int32_t>;

std::string in_quotes(std::string_view s) {
  std::string quoted;
  quoted.reserve(s.size() + 2);
  quoted.push_back('\'');
  quoted.append(s);
  quoted.push_back('\'');
  return quoted;
}

// vocab: {"token": id, ...} with ids exactly 0..N-1.
std::vector<std::string> read_vocab_object(const Json& object, const fs::path& path, VocabIndex& index) {
  if (!object.is_object()) fail(path, "vocab is not a JSON object of token → id");
  std::vector<std::string> vocab(object.size());
  std::vector<bool> seen(object.size(), false);
  index.reserve(object.size());
  for (const auto& [token, id_json] : object.items()) {
    if (!id_json.is_number_integer()) fail(path, "vocab id of " + in_quotes(token) + " is not an integer");
    const auto id = id_json.get<int64_t>();
    if (id < 0 || static_cast<size_t>(id) >= vocab.size())
      fail(path, "vocab id " + std::to_string(id) + " of " + in_quotes(token) + " is outside 0.." +
                     std::to_string(vocab.size() - 1));
    if (seen[static_cast<size_t>(id)]) fail(path, "vocab id " + std::to_string(id) + " is used twice");
    seen[static_cast<size_t>(id)] = true;
    vocab[static_cast<size_t>(id)] = token;
    index.emplace(token, static_cast<int32_t>(id));
  }
  return vocab;
}

// Resolves one merge rule; `where` locates it in error messages ("line 7", "merge 6").
Merge resolve_merge(std::string_view left, std::string_view right, const VocabIndex& index,
                    const fs::path& path, const std::string& where, std::string_view vocab_name) {
  auto id_of = [&](std::string_view token) {
    auto it = index.find(std::string(token));
    if (it == index.end())
      fail(path, where + ": merge token " + in_quotes(token) + " is not in " + std::string(vocab_name));
    return it->second;
  };
  const int32_t l = id_of(left);
  const int32_t r = id_of(right);
  const std::string merged = std::string(left) + std::string(right);
  auto it = index.find(merged);
  if (it == index.end())
    fail(path, where + ": merge result " + in_quotes(merged) + " is not in " + std::string(vocab_name));
  return {l, r, it->second};
}

std::vector<Merge> read_merges_txt(const fs::path& path, const VocabIndex& index) {
  const std::string text = read_file(path);
  std::vector<Merge> merges;
  merges.reserve(160000);
  size_t line_number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Like transformers' Qwen2Tokenizer: an optional "#version" header and blank lines are skipped.
    if (line.empty() || (line_number == 1 && line.starts_with("#version"))) continue;
    const size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string_view::npos)
      fail(path, "line " + std::to_string(line_number) + ": expected two tokens separated by one space, got " +
                     in_quotes(line));
    merges.push_back(resolve_merge(line.substr(0, space), line.substr(space + 1), index, path,
                                   "line " + std::to_string(line_number), "vocab.json"));
  }
  return merges;
}

std::optional<std::string> token_content(const Json& config, const char* key, const fs::path& path) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
    return (*it)["content"].get<std::string>();
  fail(path, std::string("\"") + key + "\" is neither a string nor an object with \"content\"");
}

AddedToken read_added_token(const Json& entry, int64_t id, const fs::path& path) {
  if (!entry.is_object() || !entry.contains("content") || !entry["content"].is_string())
    fail(path, "added token " + std::to_string(id) + " has no string \"content\"");
  // Only the plain matching mode is implemented: exact bytes on raw text.
  for (const char* flag : {"lstrip", "rstrip", "single_word", "normalized"}) {
    if (entry.contains(flag) && entry[flag].is_boolean() && entry[flag].get<bool>())
      fail(path, "added token " + std::to_string(id) + " sets \"" + flag + "\": true, which is not supported");
  }
  if (id < 0 || id > INT32_MAX) fail(path, "added token id " + std::to_string(id) + " is out of range");
  const bool special = entry.contains("special") && entry["special"].is_boolean() && entry["special"].get<bool>();
  return {entry["content"].get<std::string>(), static_cast<int32_t>(id), special};
}

void read_tokenizer_config(const fs::path& path, TokenizerFiles& files, bool want_added_tokens) {
  const Json config = read_json_file(path);
  if (!config.is_object()) fail(path, "expected a JSON object");
  files.config_path = path;
  files.pad_token = token_content(config, "pad_token", path);
  files.eos_token = token_content(config, "eos_token", path);
  if (!want_added_tokens) return;
  auto it = config.find("added_tokens_decoder");
  if (it == config.end()) return;
  if (!it->is_object()) fail(path, "\"added_tokens_decoder\" is not an object");
  for (const auto& [key, entry] : it->items()) {
    int64_t id;
    try {
      size_t used = 0;
      id = std::stoll(key, &used);
      if (used != key.size()) throw std::invalid_argument(key);
    } catch (const std::exception&) {
      fail(path, "added_tokens_decoder key " + in_quotes(key) + " is not an integer id");
    }
    files.added_tokens.push_back(read_added_token(entry, id, path));
  }
}

void check_pipeline(const Json& tokenizer, const fs::path& path) {
  auto type_of = [](const Json& j) { return j.is_object() && j.contains("type") ? j["type"].dump() : j.dump(); };
  const Json& normalizer = tokenizer.value("normalizer", Json());
  if (type_of(normalizer) != "\"NFC\"") fail(path, "normalizer " + normalizer.dump() + " is not the Qwen2 NFC normalizer");
  const Json& pre = tokenizer.value("pre_tokenizer", Json());
  bool ok = pre.is_object() && pre.value("type", "") == "Sequence" && pre.contains("pretokenizers") &&
            pre["pretokenizers"].is_array() && pre["pretokenizers"].size() == 2;
  if (ok) {
    const Json& split = pre["pretokenizers"][0];
    const Json& byte_level = pre["pretokenizers"][1];
    ok = split.value("type", "") == "Split" && split.contains("pattern") && split["pattern"].is_object() &&
         split["pattern"].value("Regex", "") == kQwen2Pattern && split.value("behavior", "") == "Isolated" &&
         !split.value("invert", false) && byte_level.value("type", "") == "ByteLevel" &&
         !byte_level.value("add_prefix_space", true) && !byte_level.value("use_regex", true);
  }
  if (!ok) fail(path, "pre_tokenizer is not the Qwen2 Split(regex) + ByteLevel pipeline");
  const Json& model = tokenizer.value("model", Json());
  if (!model.is_object() || model.value("type", "") != "BPE") fail(path, "model is not BPE");
  auto empty_or_null = [&](const char* key) {
    return !model.contains(key) || model[key].is_null() || (model[key].is_string() && model[key].get<std::string>().empty());
  };
  if (!empty_or_null("dropout") || !empty_or_null("continuing_subword_prefix") ||
      !empty_or_null("end_of_word_suffix") || model.value("byte_fallback", false) ||
      model.value("ignore_merges", false))
    fail(path, "BPE options (dropout/prefix/suffix/byte_fallback/ignore_merges) differ from Qwen2's");
}

void read_tokenizer_json(const fs::path& path, TokenizerFiles& files) {
  const Json tokenizer = read_json_file(path);
  if (!tokenizer.is_object()) fail(path, "expected a JSON object");
  check_pipeline(tokenizer, path);
  const Json& model = tokenizer["model"];
  if (!model.contains("vocab")) fail(path, "model has no \"vocab\"");
  VocabIndex index;
  files.vocab = read_vocab_object(model["vocab"], path, index);
  if (!model.contains("merges") || !model["merges"].is_array()) fail(path, "model has no \"merges\" array");
  const Json& merges = model["merges"];
  files.merges.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const Json& m = merges[i];
    const std::string where = "merge " + std::to_string(i);
    std::string left, right;
    if (m.is_string()) {  // older format: "a b"
      const std::string s = m.get<std::string>();
      const size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
        fail(path, where + ": expected \"a b\", got " + in_quotes(s));
      left = s.substr(0, space);
      right = s.substr(space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      left = m[0].get<std::string>();
      right = m[1].get<std::string>();
    } else {
      fail(path, where + ": expected \"a b\" or [\"a\", \"b\"]");
    }
    files.merges.push_back(resolve_merge(left, right, index, path, where, "the vocab"));
  }
  if (tokenizer.contains("added_tokens")) {
    const Json& added = tokenizer["added_tokens"];
    if (!added.is_array()) fail(path, "\"added_tokens\" is not an array");
    for (const Json& entry : added) {
      if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_number_integer())
        fail(path, "added token without an integer \"id\"");
      files.added_tokens.push_back(read_added_token(entry, entry["id"].get<int64_t>(), path));
    }
  }
}

}  // namespace

TokenizerFiles read_tokenizer_files(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail(dir, "tokenizer directory not found");
  TokenizerFiles files;
  const fs::path tokenizer_json = dir / "tokenizer.json";
  const fs::path config = dir / "tokenizer_config.json";
  if (fs::exists(tokenizer_json, ec)) {
    read_tokenizer_json(tokenizer_json, files);
    read_tokenizer_config(config, files, /*want_added_tokens=*/false);
  } else {
    const fs::path vocab_path = dir / "vocab.json";
    VocabIndex index;
    files.vocab = read_vocab_object(read_json_file(vocab_path), vocab_path, index);
    files.merges = read_merges_txt(dir / "merges.txt", index);
    read_tokenizer_config(config, files, /*want_added_tokens=*/true);
  }
  return files;
}

}  // namespace vlq::text
