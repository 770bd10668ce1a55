#pragma once
// Text helpers every source shares: UTF-8 validation (via utf8proc, so every source rejects the
// same byte sequences Python's strict UTF-8 decoder rejects), Python `str.strip()` semantics
// (the seed strips each caption), and the normalisation used to detect calib/eval overlap.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace vlq::data {

// Byte offset of the first invalid UTF-8 sequence (overlong forms, surrogates, truncated
// sequences, code points above U+10FFFF), or nullopt when `text` is valid.
std::optional<size_t> find_invalid_utf8(std::string_view text);

// `text` without leading/trailing characters Python's str.isspace() accepts. `text` must be
// valid UTF-8.
std::string_view strip_whitespace(std::string_view text);

// Key for "is this the same caption": ASCII-lowercased, whitespace runs collapsed to one space,
// trailing '.' and whitespace removed. Used only to detect overlap, never to build prompts.
std::string normalize_caption(std::string_view text);

}  // namespace vlq::data
