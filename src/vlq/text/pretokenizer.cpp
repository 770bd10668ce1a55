#include "vlq/text/pretokenizer.hpp"

#include <utf8proc.h>

#include <array>
#include <cstdint>

#include "vlq/text/utf8.hpp"

namespace vlq::text {
namespace {

// Unicode White_Space (PropList.txt); this set has been unchanged since Unicode 6.3.
bool is_white_space(char32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

CharClass classify_slow(char32_t cp) {
  if (cp == '\r' || cp == '\n') return CharClass::kNewline;
  if (is_white_space(cp)) return CharClass::kSpace;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
      return CharClass::kLetter;
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
      return CharClass::kNumber;
    default:
      return CharClass::kOther;
  }
}

const std::array<CharClass, 128> kAsciiClasses = [] {
  std::array<CharClass, 128> t{};
  for (char32_t c = 0; c < 128; ++c) t[c] = classify_slow(c);
  return t;
}();

struct Char {
  char32_t cp;
  CharClass cls;
  uint32_t offset;  // byte offset in the segment
};

// Length in characters of the contraction starting at chars[i] (an apostrophe), 0 if none.
// Case-insensitive as in Oniguruma's (?i:...), whose Unicode case folding also maps
// U+017F LATIN SMALL LETTER LONG S to 's'.
size_t contraction_length(const std::vector<Char>& chars, size_t i) {
  auto lower = [&](size_t k) -> char32_t {
    if (k >= chars.size()) return 0;
    const char32_t c = chars[k].cp;
    if (c == 0x17F) return 's';
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  };
  const char32_t a = lower(i + 1);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  const char32_t b = lower(i + 2);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

bool is_space_class(CharClass c) { return c == CharClass::kSpace || c == CharClass::kNewline; }

}  // namespace

CharClass classify(char32_t cp) { return cp < 128 ? kAsciiClasses[cp] : classify_slow(cp); }

void split_qwen2_pieces(std::string_view text, std::vector<std::string_view>& pieces) {
  // Decoding once into (code point, class, offset) keeps the alternatives below simple
  // lookaheads; the buffer is reused across calls on the same thread.
  thread_local std::vector<Char> chars;
  chars.clear();
  for (size_t pos = 0; pos < text.size();) {
    const auto offset = static_cast<uint32_t>(pos);
    const char32_t cp = next_code_point(text, pos);
    chars.push_back({cp, classify(cp), offset});
  }
  const size_t n = chars.size();
  auto emit = [&](size_t from, size_t to) {
    const size_t begin = chars[from].offset;
    const size_t end = to < n ? chars[to].offset : text.size();
    pieces.push_back(text.substr(begin, end - begin));
  };
  auto run_end = [&](size_t from, auto pred) {
    while (from < n && pred(chars[from].cls)) ++from;
    return from;
  };
  auto is_letter = [](CharClass c) { return c == CharClass::kLetter; };
  auto is_other = [](CharClass c) { return c == CharClass::kOther; };
  auto is_newline = [](CharClass c) { return c == CharClass::kNewline; };

  size_t i = 0;
  while (i < n) {
    const CharClass c = chars[i].cls;
    // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    if (chars[i].cp == '\'') {
      if (size_t k = contraction_length(chars, i)) {
        emit(i, i + k);
        i += k;
        continue;
      }
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (c == CharClass::kLetter) {
      const size_t j = run_end(i, is_letter);
      emit(i, j);
      i = j;
      continue;
    }
    if (c != CharClass::kNewline && c != CharClass::kNumber && i + 1 < n &&
        chars[i + 1].cls == CharClass::kLetter) {
      const size_t j = run_end(i + 1, is_letter);
      emit(i, j);
      i = j;
      continue;
    }
    // \p{N}
    if (c == CharClass::kNumber) {
      emit(i, i + 1);
      ++i;
      continue;
    }
    //  ?[^\s\p{L}\p{N}]+[\r\n]*
    {
      const size_t k = (chars[i].cp == ' ' && i + 1 < n && chars[i + 1].cls == CharClass::kOther) ? i + 1 : i;
      if (chars[k].cls == CharClass::kOther) {
        const size_t j = run_end(run_end(k, is_other), is_newline);
        emit(i, j);
        i = j;
        continue;
      }
    }
    // Only whitespace is left here.
    const size_t j = run_end(i, is_space_class);
    // \s*[\r\n]+ : greedy \s* backtracks to the last line break of the run.
    size_t last_newline = j;
    for (size_t k = j; k > i; --k) {
      if (chars[k - 1].cls == CharClass::kNewline) {
        last_newline = k - 1;
        break;
      }
    }
    if (last_newline != j) {
      emit(i, last_newline + 1);
      i = last_newline + 1;
      continue;
    }
    // \s+(?!\S) : the whole run at the end of text, else all but the last whitespace char.
    if (j == n) {
      emit(i, j);
      i = j;
      continue;
    }
    if (j - i >= 2) {
      emit(i, j - 1);
      i = j - 1;
      continue;
    }
    // \s+
    emit(i, j);
    i = j;
  }
}

}  // namespace vlq::text
