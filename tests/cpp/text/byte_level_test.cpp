#include "vlq/text/byte_level.hpp"

#include <gtest/gtest.h>

using namespace vlq::text;

// Known points of GPT-2's bytes_to_unicode (reference §1.1 step 3).
TEST(ByteLevel, KnownMappings) {
  EXPECT_EQ(byte_to_code_point(' '), U'\u0120');   // "Ġ"
  EXPECT_EQ(byte_to_code_point('\n'), U'\u010A');  // "Ċ"
  EXPECT_EQ(byte_to_code_point('\t'), U'\u0109');  // "ĉ"
  EXPECT_EQ(byte_to_code_point(0x00), U'\u0100');
  EXPECT_EQ(byte_to_code_point(0x7F), U'\u0121');
  EXPECT_EQ(byte_to_code_point(0xAD), U'\u0143');  // "Ń", the last shifted byte
  EXPECT_EQ(byte_to_code_point('A'), U'A');
  EXPECT_EQ(byte_to_code_point(0xA1), U'\u00A1');
  EXPECT_EQ(byte_to_code_point(0xFF), U'\u00FF');
}

TEST(ByteLevel, IsABijectionOnBytes) {
  for (unsigned b = 0; b < 256; ++b) {
    auto back = code_point_to_byte(byte_to_code_point(static_cast<uint8_t>(b)));
    ASSERT_TRUE(back.has_value()) << b;
    EXPECT_EQ(*back, b);
  }
  EXPECT_FALSE(code_point_to_byte(U'\u0144').has_value());
  EXPECT_FALSE(code_point_to_byte(U'\u00AD').has_value());  // soft hyphen byte is shifted away
}

TEST(ByteLevel, TokenTextRoundTrip) {
  EXPECT_EQ(bytes_to_token_text(" world"), "\xC4\xA0world");  // "Ġworld"
  // 你 = E4 BD A0: E4, BD map to themselves, A0 is shifted to U+0142 → "ä½ł"
  EXPECT_EQ(bytes_to_token_text("\xE4\xBD\xA0"), "\xC3\xA4\xC2\xBD\xC5\x82");
  EXPECT_EQ(token_text_to_bytes("\xC4\xA0world").value(), " world");
  EXPECT_FALSE(token_text_to_bytes("\xE2\x82\xAC").has_value());  // "€" is not in the alphabet
}
