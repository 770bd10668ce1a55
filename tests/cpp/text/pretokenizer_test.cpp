#include "vlq/text/pretokenizer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace vlq::text;

namespace {
std::vector<std::string> split(std::string_view text) {
  std::vector<std::string_view> pieces;
  split_qwen2_pieces(text, pieces);
  return {pieces.begin(), pieces.end()};
}
using V = std::vector<std::string>;
}  // namespace

// Expected splits are worked out by hand from the regex alternatives (reference §1.1 step 2).
TEST(PreTokenizer, WordsAttachOneLeadingSpace) {
  EXPECT_EQ(split("Hello world"), (V{"Hello", " world"}));
  EXPECT_EQ(split("a  b"), (V{"a", " ", " b"}));      // \s+(?!\S) leaves the last space to the word
  EXPECT_EQ(split("\t\tword"), (V{"\t", "\tword"}));
  EXPECT_EQ(split("trailing  "), (V{"trailing", "  "}));  // whitespace at the end stays whole
}

TEST(PreTokenizer, ContractionsAreCaseInsensitive) {
  EXPECT_EQ(split("I'm"), (V{"I", "'m"}));
  EXPECT_EQ(split("HE'S"), (V{"HE", "'S"}));
  EXPECT_EQ(split("they'LL"), (V{"they", "'LL"}));
  EXPECT_EQ(split("'Re'vE"), (V{"'Re", "'vE"}));
  EXPECT_EQ(split("'x"), (V{"'x"}));                   // not a contraction: punctuation + letters
  EXPECT_EQ(split("x'\xC5\xBFt"), (V{"x", "'\xC5\xBF", "t"}));  // ſ case-folds to s in Oniguruma
}

TEST(PreTokenizer, DigitsAreSingle) {
  EXPECT_EQ(split("abc123"), (V{"abc", "1", "2", "3"}));
  EXPECT_EQ(split("\xD9\xA3\xC2\xBD"), (V{"\xD9\xA3", "\xC2\xBD"}));  // ARABIC-INDIC 3, ½ are \p{N}
}

TEST(PreTokenizer, PunctuationAndLineBreaks) {
  EXPECT_EQ(split(" !!\n"), (V{" !!\n"}));
  EXPECT_EQ(split("a\n\nb"), (V{"a", "\n\n", "b"}));
  EXPECT_EQ(split("x  \n  y"), (V{"x", "  \n", " ", " y"}));  // \s*[\r\n]+ then \s+(?!\S)
  EXPECT_EQ(split("a\r\n"), (V{"a", "\r\n"}));
  EXPECT_EQ(split(".\n\n"), (V{".\n\n"}));
  EXPECT_EQ(split("!a"), (V{"!a"}));
}

TEST(PreTokenizer, UnicodeClasses) {
  EXPECT_EQ(split("\xE4\xBD\xA0\xE5\xA5\xBD"), (V{"\xE4\xBD\xA0\xE5\xA5\xBD"}));  // 你好 is one letter run
  EXPECT_EQ(split("e\xCC\x81"), (V{"e", "\xCC\x81"}));   // a combining mark (Mn) is not \p{L}
  EXPECT_EQ(split("\xC2\xA0x"), (V{"\xC2\xA0x"}));        // NBSP is \s but still the optional prefix
  EXPECT_EQ(classify(0x3000), CharClass::kSpace);         // IDEOGRAPHIC SPACE
  EXPECT_EQ(classify(0x200B), CharClass::kOther);         // ZERO WIDTH SPACE is not White_Space
  EXPECT_EQ(classify(0x1C), CharClass::kOther);           // Python's str.isspace says yes, Unicode says no
  EXPECT_EQ(classify(0x85), CharClass::kSpace);
  EXPECT_EQ(classify('\r'), CharClass::kNewline);
  EXPECT_EQ(classify(0x2160), CharClass::kNumber);        // ROMAN NUMERAL ONE (Nl)
  EXPECT_EQ(classify(0x02B0), CharClass::kLetter);        // MODIFIER LETTER SMALL H (Lm)
}

TEST(PreTokenizer, PiecesCoverTheInput) {
  const std::string text = "  Mixed 'text' with\t\ttabs,\r\n numbers 42 and ü\xCC\x88 marks!!  \n";
  std::string joined;
  for (const auto& p : split(text)) {
    EXPECT_FALSE(p.empty());
    joined += p;
  }
  EXPECT_EQ(joined, text);
  EXPECT_TRUE(split("").empty());
}
