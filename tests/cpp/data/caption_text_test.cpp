#include "vlq/data/caption_text.hpp"

#include <gtest/gtest.h>

using vlq::data::find_invalid_utf8;
using vlq::data::normalize_caption;
using vlq::data::strip_whitespace;

TEST(CaptionText, AcceptsValidUtf8) {
  EXPECT_FALSE(find_invalid_utf8("A cat on a mat."));
  EXPECT_FALSE(find_invalid_utf8("caf\xC3\xA9 \xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80"));
}

// The byte sequences Python's strict UTF-8 decoder rejects (the seed reads with Python).
TEST(CaptionText, RejectsWhatPythonRejects) {
  EXPECT_EQ(find_invalid_utf8("ab\xFF"), 2u);              // invalid lead byte
  EXPECT_EQ(find_invalid_utf8("a\xC3"), 1u);               // truncated sequence
  EXPECT_EQ(find_invalid_utf8("\xC0\xAF"), 0u);            // overlong '/'
  EXPECT_EQ(find_invalid_utf8("x\xE0\x80\xAF"), 1u);       // overlong 3-byte
  EXPECT_EQ(find_invalid_utf8("\xED\xA0\x80"), 0u);        // UTF-16 surrogate U+D800
  EXPECT_EQ(find_invalid_utf8("\xF4\x90\x80\x80"), 0u);    // above U+10FFFF
  EXPECT_EQ(find_invalid_utf8("ok\x80"), 2u);              // stray continuation byte
}

TEST(CaptionText, StripsLikePythonStrStrip) {
  EXPECT_EQ(strip_whitespace("  a b \n"), "a b");
  EXPECT_EQ(strip_whitespace("\t\x0b\x0c\x1c\x1d\x1e\x1fx\r"), "x");
  EXPECT_EQ(strip_whitespace("\xC2\xA0x\xE3\x80\x80"), "x");         // U+00A0, U+3000
  EXPECT_EQ(strip_whitespace("\xE2\x80\x8Bx"), "\xE2\x80\x8Bx");     // U+200B is not a space
  EXPECT_EQ(strip_whitespace("\xEF\xBB\xBFx"), "\xEF\xBB\xBFx");     // BOM is not a space
  EXPECT_EQ(strip_whitespace(" \n "), "");
}

TEST(CaptionText, NormalizesForOverlap) {
  EXPECT_EQ(normalize_caption("A  Man riding\ta horse. "), "a man riding a horse");
  EXPECT_EQ(normalize_caption("a man riding a horse"), "a man riding a horse");
  EXPECT_NE(normalize_caption("a man riding a horse"), normalize_caption("a man riding a zebra"));
}
