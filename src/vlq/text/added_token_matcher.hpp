#pragma once
// Finds added tokens (<|im_start|>, <tool_call>, ...) in raw text, leftmost-longest, as HF
// `tokenizers` does with its Aho-Corasick matcher before any normalization. With a few dozen
// tokens a byte trie walked from each candidate start is as fast and much simpler; the start
// candidates are found with memchr when all tokens share one first byte (Qwen: '<').
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "vlq/text/tokenizer.hpp"

namespace vlq::text {

struct AddedTokenMatch {
  size_t begin;
  size_t length;
  TokenId id;
};

class AddedTokenMatcher {
 public:
  explicit AddedTokenMatcher(std::span<const AddedToken> tokens);
  // The leftmost match starting at or after `from` (longest among those starting there).
  std::optional<AddedTokenMatch> find(std::string_view text, size_t from) const;

 private:
  struct Node {
    std::vector<std::pair<unsigned char, uint32_t>> children;  // (byte, node index), few per node
    std::optional<TokenId> token;                                // a token ends here
  };
  std::optional<AddedTokenMatch> match_at(std::string_view text, size_t begin) const;

  std::vector<Node> trie_{Node{}};  // node 0 is the root
  std::array<bool, 256> starts_token_{};
  int only_first_byte_ = -1;  // the single first byte of all tokens, or -1
};

}  // namespace vlq::text
