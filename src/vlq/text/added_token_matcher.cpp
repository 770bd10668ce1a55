#include "vlq/text/added_token_matcher.hpp"

#include <algorithm>

namespace vlq::text {

AddedTokenMatcher::AddedTokenMatcher(std::span<const AddedToken> tokens) {
  for (const AddedToken& t : tokens)
    if (!t.content.empty()) by_first_byte_[static_cast<unsigned char>(t.content[0])].push_back(t);
  for (auto& bucket : by_first_byte_)
    std::stable_sort(bucket.begin(), bucket.end(),
                     [](const AddedToken& a, const AddedToken& b) { return a.content.size() > b.content.size(); });
}

std::optional<AddedTokenMatch> AddedTokenMatcher::find(std::string_view text, size_t from) const {
  for (size_t i = from; i < text.size(); ++i) {
    const auto& bucket = by_first_byte_[static_cast<unsigned char>(text[i])];
    for (const AddedToken& t : bucket)
      if (text.substr(i).starts_with(t.content)) return AddedTokenMatch{i, t.content.size(), t.id};
  }
  return std::nullopt;
}

}  // namespace vlq::text
