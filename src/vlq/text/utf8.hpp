#pragma once
// UTF-8 helpers for the tokenizer: strict validation of input, NFC via utf8proc, and lossy
// decoding of token bytes the way Python's bytes.decode(errors="replace") does it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vlq::text {

// Byte offset of the first ill-formed sequence, or nullopt when `bytes` is valid UTF-8
// (surrogates and overlong forms are ill-formed).
std::optional<size_t> find_invalid_utf8(std::string_view bytes);

// Decodes one code point from valid UTF-8 at `pos` and advances `pos`.
// Precondition: `bytes` was accepted by find_invalid_utf8.
inline char32_t next_code_point(std::string_view bytes, size_t& pos) {
  const auto b0 = static_cast<unsigned char>(bytes[pos]);
  if (b0 < 0x80) {
    pos += 1;
    return b0;
  }
  auto cont = [&](size_t i) { return static_cast<char32_t>(static_cast<unsigned char>(bytes[pos + i]) & 0x3F); };
  char32_t cp;
  if (b0 < 0xE0) {
    cp = (static_cast<char32_t>(b0 & 0x1F) << 6) | cont(1);
    pos += 2;
  } else if (b0 < 0xF0) {
    cp = (static_cast<char32_t>(b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2);
    pos += 3;
  } else {
    cp = (static_cast<char32_t>(b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
    pos += 4;
  }
  return cp;
}

void append_utf8(char32_t cp, std::string& out);

// Unicode NFC of valid UTF-8 (utf8proc). Returns the input unchanged when it is pure ASCII.
std::string nfc(std::string_view valid_utf8);
// The same, returning `valid_utf8` itself when it is already NFC-trivially (ASCII) and otherwise
// a view of `storage`, which receives the normalized text.
std::string_view nfc(std::string_view valid_utf8, std::string& storage);

// Replaces each maximal ill-formed subsequence by U+FFFD (Unicode "best practice", the rule
// used by both Python's errors="replace" and Rust's String::from_utf8_lossy).
std::string decode_utf8_lossy(std::string_view bytes);

}  // namespace vlq::text
