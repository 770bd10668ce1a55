#pragma once
// Text helpers every source shares: line splitting with UTF-8 validation, Python `str.strip()`
// semantics (the seed strips each caption), and the normalisation used to detect calib/eval
// overlap.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "vlq/core/error.hpp"
#include "vlq/text/utf8.hpp"

namespace vlq::data {

// Sources validate with the tokenizer's strict UTF-8 check (overlong forms, surrogates,
// truncated sequences and code points above U+10FFFF are rejected, as Python's decoder does).
using text::find_invalid_utf8;

enum class LineBreaks {
  kNewline,    // "\n" only: JSON Lines (a '\r' before it is JSON whitespace)
  kUniversal,  // "\n", "\r\n" and "\r", like Python's open() in text mode
};

// Calls on_line(line, number) for each line of `contents` (the text of `path`), numbered from 1,
// without its terminator. A line that is not valid UTF-8 → vlq::Error naming the file, the line
// and the byte.
template <typename OnLine>
void for_each_line(std::string_view contents, const std::filesystem::path& path, LineBreaks breaks,
                   OnLine&& on_line) {
  int64_t number = 0;
  while (!contents.empty()) {
    // A plain scan: find_first_of would call memchr on the delimiter set for every byte.
    size_t end = 0;
    while (end < contents.size() && contents[end] != '\n' &&
           (breaks == LineBreaks::kNewline || contents[end] != '\r'))
      ++end;
    const std::string_view line = contents.substr(0, end);
    if (end == contents.size()) {
      contents = {};
    } else {
      const bool crlf = contents[end] == '\r' && end + 1 < contents.size() && contents[end + 1] == '\n';
      contents.remove_prefix(end + (crlf ? 2 : 1));
    }
    ++number;
    if (auto bad = find_invalid_utf8(line))
      fail(path, "line " + std::to_string(number) + ": invalid UTF-8 at byte " + std::to_string(*bad + 1) +
                     " of the line");
    on_line(line, number);
  }
}

// `text` without leading/trailing characters Python's str.isspace() accepts. `text` must be
// valid UTF-8.
std::string_view strip_whitespace(std::string_view text);

// Key for "is this the same caption": ASCII-lowercased, whitespace runs collapsed to one space,
// trailing '.' and whitespace removed. Used only to detect overlap, never to build prompts.
std::string normalize_caption(std::string_view text);

}  // namespace vlq::data
