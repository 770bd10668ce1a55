#pragma once
// GPT-2 byte-level alphabet (`bytes_to_unicode`): every byte maps to one printable code point so
// that BPE vocabularies can be stored as text. Printable Latin-1 bytes (33–126, 161–172,
// 174–255) map to themselves; the other 68 bytes map, in increasing order, to U+0100…U+0143.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vlq::text {

char32_t byte_to_code_point(uint8_t byte);

// Inverse of byte_to_code_point; nullopt for code points outside the alphabet.
std::optional<uint8_t> code_point_to_byte(char32_t cp);

// The UTF-8 text of the byte-level token for raw `bytes` (e.g. " a" → "Ġa").
std::string bytes_to_token_text(std::string_view bytes);

// Raw bytes of a byte-level token text; nullopt if any character is outside the alphabet or
// the text is not valid UTF-8.
std::optional<std::string> token_text_to_bytes(std::string_view token_text);

}  // namespace vlq::text
