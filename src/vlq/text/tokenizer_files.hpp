#pragma once
// Reading a Qwen2 tokenizer from a checkpoint directory into plain tables: tokenizer.json when
// present, else vocab.json + merges.txt + tokenizer_config.json. Every inconsistency (unknown
// merge token, merge result missing from the vocab, unsupported pipeline) is a vlq::Error that
// names the file, so a wrong tokenizer is never used silently.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "vlq/text/bpe.hpp"
#include "vlq/text/tokenizer.hpp"

namespace vlq::text {

struct TokenizerFiles {
  std::vector<std::string> vocab;  // id → byte-level token text; ids are dense 0..N-1
  std::vector<Merge> merges;       // in rank order
  std::vector<AddedToken> added_tokens;
  std::optional<std::string> pad_token;  // token contents from tokenizer_config.json
  std::optional<std::string> eos_token;
  std::filesystem::path config_path;     // tokenizer_config.json, for error messages
};

TokenizerFiles read_tokenizer_files(const std::filesystem::path& dir);

}  // namespace vlq::text
