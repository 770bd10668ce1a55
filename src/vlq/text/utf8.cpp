#include "vlq/text/utf8.hpp"

#include <cstdint>
#include <cstring>

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "vlq/core/error.hpp"

namespace vlq::text {
namespace {

// Length of the well-formed sequence starting at `pos` (1..4), or 0 when it is ill-formed;
// `consumed` is the length of the maximal ill-formed prefix in that case (at least 1).
// The second-byte ranges are Table 3-7 of the Unicode standard.
size_t well_formed_length(std::string_view s, size_t pos, size_t& consumed) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  consumed = 1;
  if (b0 < 0x80) return 1;
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;  // excludes surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (size_t i = 1; i < need; ++i) {
    if (pos + i >= s.size()) return 0;
    const auto b = static_cast<unsigned char>(s[pos + i]);
    const bool ok = i == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) return 0;
    consumed = i + 1;
  }
  return need;
}

bool is_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

}  // namespace

std::optional<size_t> find_invalid_utf8(std::string_view bytes) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    // Text is almost all ASCII: skip 8 bytes at a time while no byte has its high bit set.
    while (pos + 8 <= bytes.size()) {
      uint64_t word;
      std::memcpy(&word, bytes.data() + pos, sizeof word);
      if (word & 0x8080808080808080ull) break;
      pos += 8;
    }
    if (pos >= bytes.size()) break;
    if (static_cast<unsigned char>(bytes[pos]) < 0x80) {
      ++pos;
      continue;
    }
    size_t consumed;
    const size_t n = well_formed_length(bytes, pos, consumed);
    if (n == 0) return pos;
    pos += n;
  }
  return std::nullopt;
}

void append_utf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string_view nfc(std::string_view valid_utf8, std::string& storage) {
  if (is_ascii(valid_utf8)) return valid_utf8;  // ASCII is always NFC: no copy
  storage = nfc(valid_utf8);
  return storage;
}

std::string nfc(std::string_view valid_utf8) {
  if (is_ascii(valid_utf8)) return std::string(valid_utf8);  // ASCII is always NFC
  utf8proc_uint8_t* raw = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(valid_utf8.data()),
                                          static_cast<utf8proc_ssize_t>(valid_utf8.size()), &raw,
                                          static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(raw, &std::free);
  if (n < 0) fail(std::string("NFC normalization failed: ") + utf8proc_errmsg(n));
  return std::string(reinterpret_cast<const char*>(owned.get()), static_cast<size_t>(n));
}

std::string decode_utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t consumed;
    const size_t n = well_formed_length(bytes, pos, consumed);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      pos += consumed;
    } else {
      out.append(bytes.substr(pos, n));
      pos += n;
    }
  }
  return out;
}

}  // namespace vlq::text
