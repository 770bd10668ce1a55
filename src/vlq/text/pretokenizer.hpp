#pragma once
// The Qwen2 pre-tokenizer: splits NFC text into pieces exactly like the regex
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|
//   \s*[\r\n]+|\s+(?!\S)|\s+
// as run by Oniguruma inside HF `tokenizers` (Split, behaviour "isolated").
// Hand-written because std::regex has no \p{..} or Unicode \s, and a direct scanner over
// character classes is several times faster than a general regex engine on this hot path.
#include <string_view>
#include <vector>

namespace vlq::text {

enum class CharClass : unsigned char {
  kLetter,   // \p{L}: General_Category Lu Ll Lt Lm Lo
  kNumber,   // \p{N}: Nd Nl No
  kNewline,  // \r or \n (members of \s the pattern names explicitly)
  kSpace,    // the rest of \s
  kOther,
};

// \s is Oniguruma's Unicode "Space" = the White_Space property (checked against tokenizers).
CharClass classify(char32_t cp);

// Appends the pieces of `valid_utf8` (views into it, in order, covering it completely).
void split_qwen2_pieces(std::string_view valid_utf8, std::vector<std::string_view>& pieces);

}  // namespace vlq::text
