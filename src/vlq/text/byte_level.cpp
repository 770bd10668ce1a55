#include "vlq/text/byte_level.hpp"

#include "vlq/text/utf8.hpp"

namespace vlq::text {
namespace {

constexpr bool maps_to_itself(unsigned b) {
  return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
}

struct Tables {
  std::array<char32_t, 256> to_cp{};
  std::array<int16_t, 0x144> from_cp{};  // every mapped code point is < U+0144
};

constexpr Tables make_tables() {
  Tables t{};
  for (auto& v : t.from_cp) v = -1;
  unsigned next_shifted = 0;
  for (unsigned b = 0; b < 256; ++b) {
    const char32_t cp = maps_to_itself(b) ? b : 0x100 + next_shifted++;
    t.to_cp[b] = cp;
    t.from_cp[cp] = static_cast<int16_t>(b);
  }
  return t;
}

constexpr Tables kTables = make_tables();

}  // namespace

char32_t byte_to_code_point(uint8_t byte) { return kTables.to_cp[byte]; }

std::optional<uint8_t> code_point_to_byte(char32_t cp) {
  if (cp >= kTables.from_cp.size() || kTables.from_cp[cp] < 0) return std::nullopt;
  return static_cast<uint8_t>(kTables.from_cp[cp]);
}

std::string bytes_to_token_text(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) append_utf8(byte_to_code_point(static_cast<uint8_t>(c)), out);
  return out;
}

std::optional<std::string> token_text_to_bytes(std::string_view token_text) {
  if (find_invalid_utf8(token_text)) return std::nullopt;
  std::string out;
  out.reserve(token_text.size());
  size_t pos = 0;
  while (pos < token_text.size()) {
    auto b = code_point_to_byte(next_code_point(token_text, pos));
    if (!b) return std::nullopt;
    out.push_back(static_cast<char>(*b));
  }
  return out;
}

}  // namespace vlq::text
