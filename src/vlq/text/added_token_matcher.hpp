#pragma once
// Finds added tokens (<|im_start|>, <tool_call>, ...) in raw text, leftmost-longest, as HF
// `tokenizers` does with its Aho-Corasick matcher before any normalization. With a few dozen
// tokens a first-byte filter plus direct comparison is as fast and much simpler.
#include <array>
#include <string_view>
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
  std::array<std::vector<AddedToken>, 256> by_first_byte_;  // each sorted longest first
};

}  // namespace vlq::text
