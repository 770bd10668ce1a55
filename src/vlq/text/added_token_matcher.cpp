#include "vlq/text/added_token_matcher.hpp"

#include <cstring>

namespace vlq::text {

AddedTokenMatcher::AddedTokenMatcher(std::span<const AddedToken> tokens) {
  for (const AddedToken& t : tokens) {
    if (t.content.empty()) continue;
    uint32_t node = 0;
    for (char ch : t.content) {
      const auto byte = static_cast<unsigned char>(ch);
      uint32_t next = 0;
      for (const auto& [edge, child] : trie_[node].children)
        if (edge == byte) next = child;
      if (next == 0) {
        next = static_cast<uint32_t>(trie_.size());
        trie_[node].children.emplace_back(byte, next);
        trie_.emplace_back();
      }
      node = next;
    }
    // The first definition of a content wins, as with the previous first-match rule.
    if (!trie_[node].token) trie_[node].token = t.id;
  }
  int distinct_first_bytes = 0;
  for (const auto& [byte, child] : trie_[0].children) {
    starts_token_[byte] = true;
    ++distinct_first_bytes;
    only_first_byte_ = byte;
  }
  if (distinct_first_bytes != 1) only_first_byte_ = -1;
}

std::optional<AddedTokenMatch> AddedTokenMatcher::match_at(std::string_view text, size_t begin) const {
  std::optional<AddedTokenMatch> longest;
  uint32_t node = 0;
  for (size_t i = begin; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    uint32_t next = 0;
    for (const auto& [edge, child] : trie_[node].children) {
      if (edge == byte) {
        next = child;
        break;
      }
    }
    if (next == 0) break;
    node = next;
    if (trie_[node].token) longest = AddedTokenMatch{begin, i + 1 - begin, *trie_[node].token};
  }
  return longest;
}

std::optional<AddedTokenMatch> AddedTokenMatcher::find(std::string_view text, size_t from) const {
  for (size_t i = from; i < text.size(); ++i) {
    if (only_first_byte_ >= 0) {
      const void* hit = std::memchr(text.data() + i, only_first_byte_, text.size() - i);
      if (hit == nullptr) return std::nullopt;
      i = static_cast<size_t>(static_cast<const char*>(hit) - text.data());
    } else if (!starts_token_[static_cast<unsigned char>(text[i])]) {
      continue;
    }
    if (auto match = match_at(text, i)) return match;
  }
  return std::nullopt;
}

}  // namespace vlq::text
