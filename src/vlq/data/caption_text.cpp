#include "vlq/data/caption_text.hpp"

#include <utf8proc.h>

#include <cstdint>

namespace vlq::data {

namespace {

// Python's str.isspace(): bidirectional class WS/B/S or general category Zs.
bool is_python_whitespace(int32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D:
    case 0x1C: case 0x1D: case 0x1E: case 0x1F: case 0x20:
    case 0x85: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

// Decodes the code point starting at `pos`; returns its length in bytes (text is valid UTF-8).
size_t decode_at(std::string_view text, size_t pos, int32_t& cp) {
  utf8proc_int32_t value = -1;
  auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + pos),
                            static_cast<utf8proc_ssize_t>(text.size() - pos), &value);
  if (n <= 0) {  // invalid input: treat the byte as a non-space character
    cp = -1;
    return 1;
  }
  cp = value;
  return static_cast<size_t>(n);
}

bool is_continuation_byte(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

std::string_view strip_whitespace(std::string_view text) {
  size_t begin = 0;
  while (begin < text.size()) {
    int32_t cp = 0;
    size_t n = decode_at(text, begin, cp);
    if (!is_python_whitespace(cp)) break;
    begin += n;
  }
  size_t end = text.size();
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin && is_continuation_byte(static_cast<unsigned char>(text[start]))) --start;
    int32_t cp = 0;
    decode_at(text, start, cp);
    if (!is_python_whitespace(cp)) break;
    end = start;
  }
  return text.substr(begin, end - begin);
}

std::string normalize_caption(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char ch : strip_whitespace(text)) {
    auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty()) out.push_back(' ');
    pending_space = false;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : ch);
  }
  while (!out.empty() && (out.back() == '.' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace vlq::data
