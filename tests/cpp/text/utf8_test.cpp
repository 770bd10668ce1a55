#include "vlq/text/utf8.hpp"

#include <gtest/gtest.h>

using namespace vlq::text;

namespace {
const std::string kReplacement = "\xEF\xBF\xBD";
}

TEST(Utf8, FindsFirstInvalidByte) {
  EXPECT_FALSE(find_invalid_utf8("plain ascii").has_value());
  EXPECT_FALSE(find_invalid_utf8("\xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x99\x82").has_value());
  EXPECT_EQ(find_invalid_utf8("ab\xFF").value(), 2u);
  EXPECT_EQ(find_invalid_utf8("a\xC0\xAF").value(), 1u);          // overlong '/'
  EXPECT_EQ(find_invalid_utf8("\xED\xA0\x80").value(), 0u);       // UTF-16 surrogate
  EXPECT_EQ(find_invalid_utf8("xyz\xE4\xBD").value(), 3u);        // truncated at end
  EXPECT_EQ(find_invalid_utf8("\xF4\x90\x80\x80").value(), 0u);   // above U+10FFFF
}

// Python: b"...".decode("utf-8", errors="replace") (one U+FFFD per maximal ill-formed subpart).
TEST(Utf8, LossyDecodeFollowsMaximalSubpartRule) {
  EXPECT_EQ(decode_utf8_lossy("ok"), "ok");
  EXPECT_EQ(decode_utf8_lossy("\xFF"), kReplacement);
  EXPECT_EQ(decode_utf8_lossy("\xE4\xBD"), kReplacement);                               // 1 for the truncated pair
  EXPECT_EQ(decode_utf8_lossy("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement);  // surrogate: 3
  EXPECT_EQ(decode_utf8_lossy("a\xF0\x9F\x98" "b"), "a" + kReplacement + "b");
  EXPECT_EQ(decode_utf8_lossy("\xC3\x28"), kReplacement + "(");
}

TEST(Utf8, NfcComposes) {
  EXPECT_EQ(nfc("e\xCC\x81"), "\xC3\xA9");                 // e + COMBINING ACUTE → é
  EXPECT_EQ(nfc("\xE2\x84\xAB"), "\xC3\x85");              // ANGSTROM SIGN → Å (singleton)
  EXPECT_EQ(nfc("\xEF\xAC\x81"), "\xEF\xAC\x81");          // ﬁ is NFC already (only NFKC changes it)
  EXPECT_EQ(nfc(std::string_view("a\0b", 3)), std::string("a\0b", 3));
}
