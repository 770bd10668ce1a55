#pragma once
// Shared helpers for the text tests: where the real checkpoint lives, and tiny synthetic
// tokenizer directories written from scratch (the byte alphabet is rebuilt here independently of
// the code under test, following GPT-2's published bytes_to_unicode).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace vlq::text::testing {

inline std::filesystem::path data_root() {
  if (const char* env = std::getenv("VLQ_DATA_ROOT"); env && *env) return env;
  return std::filesystem::path(VLQ_SOURCE_DIR) / ".." / "shared" / "data";
}

inline std::filesystem::path qwen_dir() { return data_root() / "qwen2_5_vl_3b_instruct"; }

inline std::string utf8_of(char32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else {  // the alphabet stays below U+0800
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// The 256 single-byte token texts, indexed by byte.
inline std::vector<std::string> gpt2_byte_alphabet() {
  std::vector<std::string> texts(256);
  int shifted = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
    texts[b] = utf8_of(printable ? static_cast<char32_t>(b) : static_cast<char32_t>(0x100 + shifted++));
  }
  return texts;
}

inline std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(std::filesystem::temp_directory_path() / ("vlq_text_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  void write(const std::string& name, const std::string& contents) const {
    std::ofstream(path_ / name, std::ios::binary) << contents;
  }

 private:
  std::filesystem::path path_;
};

// vocab.json = the byte alphabet (ids 0..255) + `extra` tokens (ids 256..).
inline std::string vocab_json(const std::vector<std::string>& extra) {
  std::string json = "{";
  const auto bytes = gpt2_byte_alphabet();
  int id = 0;
  auto add = [&](const std::string& token) {
    if (id > 0) json += ',';
    json += '"';
    json += json_escape(token);
    json += "\":";
    json += std::to_string(id++);
  };
  for (const auto& t : bytes) add(t);
  for (const auto& t : extra) add(t);
  json += '}';
  return json;
}

inline const char* kTinyConfig = R"({
  "added_tokens_decoder": {
    "300": {"content": "<|end|>", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true},
    "301": {"content": "<|end|>x", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": false}
  },
  "eos_token": "<|end|>", "pad_token": {"content": "<|end|>"}
})";

}  // namespace vlq::text::testing
