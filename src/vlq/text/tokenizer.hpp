#pragma once
// Byte-level BPE tokenizer for Qwen2/Qwen2.5 checkpoints, id-for-id compatible with the
// Hugging Face `tokenizers` library (the oracle for every test).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vlq::text {

using TokenId = int32_t;

struct AddedToken {
  std::string content;
  TokenId id;
  bool special;
};

class BpeModel;

class Tokenizer {
 public:
  // tokenizer.json when present, else vocab.json + merges.txt (skip a leading "#version" line)
  // + tokenizer_config.json (added_tokens_decoder). Bad files → vlq::Error naming the file.
  static Tokenizer from_directory(const std::filesystem::path& dir);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;
  ~Tokenizer();

  // Throws vlq::Error on invalid UTF-8 (the caller adds file/line context).
  std::vector<TokenId> encode(std::string_view utf8) const;
  void encode_append(std::string_view utf8, std::vector<TokenId>& out) const;

  // Invalid UTF-8 in the decoded bytes becomes U+FFFD (like Python errors='replace').
  std::string decode(std::span<const TokenId> ids, bool skip_special_tokens) const;

  std::optional<TokenId> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(TokenId id) const;

  size_t size() const;          // len(tokenizer): base vocab + added tokens (151665 for Qwen2.5)
  TokenId pad_token_id() const;  // tokenizer_config "pad_token" (<|endoftext|> 151643)
  TokenId eos_token_id() const;  // tokenizer_config "eos_token" (<|im_end|> 151645)
  std::span<const AddedToken> added_tokens() const;

  // Stable hex hash of vocab + merges + added tokens, recorded in dataset manifests.
  const std::string& fingerprint() const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vlq::text
