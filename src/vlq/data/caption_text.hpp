#pragma once
// Text helpers every source shares: UTF-8 validation, Python `str.strip()` semantics
// (the seed strips each caption), and the normalisation used to detect calib/eval overlap.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "vlq/text/utf8.hpp"

namespace vlq::data {

// Sources validate with the tokenizer's strict UTF-8 check (overlong forms, surrogates,
// truncated sequences and code points above U+10FFFF are rejected, as Python's decoder does).
using text::find_invalid_utf8;

// `text` without leading/trailing characters Python's str.isspace() accepts. `text` must be
// valid UTF-8.
std::string_view strip_whitespace(std::string_view text);

// Key for "is this the same caption": ASCII-lowercased, whitespace runs collapsed to one space,
// trailing '.' and whitespace removed. Used only to detect overlap, never to build prompts.
std::string normalize_caption(std::string_view text);

}  // namespace vlq::data
