#include "vlq/text/tokenizer.hpp"

#include <gtest/gtest.h>

#include "text_test_support.hpp"
#include "vlq/core/error.hpp"
#include "vlq/text/bpe.hpp"

using namespace vlq::text;
using namespace vlq::text::testing;
using Ids = std::vector<TokenId>;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const vlq::Error& e) {
    return e.what();
  }
  return "<no vlq::Error>";
}

// Synthetic tokenizer: vocab = bytes + "ab"(256) "bc"(257) "abc"(258) "aa"(259) "aaaa"(260).
TempDir tiny_tokenizer(const std::string& name, const std::string& merges) {
  TempDir dir(name);
  dir.write("vocab.json", vocab_json({"ab", "bc", "abc", "aa", "aaaa"}));
  dir.write("merges.txt", merges);
  dir.write("tokenizer_config.json", kTinyConfig);
  return dir;
}

}  // namespace

TEST(Bpe, LowestRankWinsThenLeftmost) {
  // "b c" has rank 0, "a b" rank 1: "abc" must become a + bc, never ab + c.
  TempDir dir = tiny_tokenizer("rank", "#version: 0.2\nb c\na b\n");
  const Tokenizer t = Tokenizer::from_directory(dir.path());
  // The fixture gives byte b the id b, so "a" is 97.
  EXPECT_EQ(t.encode("abc"), (Ids{97, 257}));
  EXPECT_EQ(t.encode("ab"), (Ids{256}));
  // Equal pairs merge leftmost first: "aaa" → "aa" + "a".
  TempDir dir2 = tiny_tokenizer("tie", "a a\naa aa\n");
  const Tokenizer t2 = Tokenizer::from_directory(dir2.path());
  const TokenId a = 97;
  EXPECT_EQ(t2.encode("aaa"), (Ids{259, a}));
  // 101 letters (past the short-word path): 50 "aa" + "a", then 25 "aaaa" + "a".
  Ids expected(25, 260);
  expected.push_back(a);
  EXPECT_EQ(t2.encode(std::string(101, 'a')), expected);
  EXPECT_EQ(t2.encode(std::string(5, 'a')), (Ids{260, a}));
}

TEST(Tokenizer, AddedTokensLeftmostLongestOnRawText) {
  TempDir dir = tiny_tokenizer("added", "a b\n");
  const Tokenizer t = Tokenizer::from_directory(dir.path());
  EXPECT_EQ(t.encode("<|end|>"), (Ids{300}));
  EXPECT_EQ(t.encode("<|end|>x"), (Ids{301}));  // the longer token wins at the same start
  EXPECT_EQ(t.encode("ab<|end|>ab"), (Ids{256, 300, 256}));
  EXPECT_EQ(t.size(), 256u + 5u + 2u);  // bytes + extra vocab + added tokens
  EXPECT_EQ(t.pad_token_id(), 300);
  EXPECT_EQ(t.eos_token_id(), 300);
  EXPECT_EQ(t.decode(Ids{256, 300, 301}, false), "ab<|end|><|end|>x");
  EXPECT_EQ(t.decode(Ids{256, 300, 301}, true), "ab<|end|>x");  // 301 is not special
}

TEST(Tokenizer, RealQwenKnownIds) {
  const Tokenizer t = Tokenizer::from_directory(qwen_dir());
  // Reference §1.3 (public transformers test vectors) and PROVENANCE.md checks.
  EXPECT_EQ(t.encode("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"),
            (Ids{151644, 8948, 198, 2610, 525, 264, 10950, 17847, 13, 151645, 198, 151644, 872, 198}));
  EXPECT_EQ(t.encode("<|im_start|>assistant\n"), (Ids{151644, 77091, 198}));
  EXPECT_EQ(t.encode("Hello world"), (Ids{9707, 1879}));
  EXPECT_EQ(t.encode(" Hello world"), (Ids{21927, 1879}));
  EXPECT_EQ(t.encode("\xE4\xBD\xA0\xE5\xA5\xBD"), (Ids{108386}));  // 你好
  EXPECT_EQ(t.size(), 151665u);
  EXPECT_EQ(t.pad_token_id(), 151643);
  EXPECT_EQ(t.eos_token_id(), 151645);
  EXPECT_EQ(t.token_to_id("<|image_pad|>").value(), 151655);
  EXPECT_FALSE(t.token_to_id("<|not_a_token|>").has_value());
  EXPECT_EQ(t.decode(Ids{151644, 872, 198, 9707, 151645}, true), "user\nHello");
  EXPECT_EQ(t.fingerprint().size(), 64u);
  EXPECT_TRUE(t.encode("").empty());
}

TEST(TokenizerErrors, InvalidUtf8Input) {
  TempDir dir = tiny_tokenizer("utf8", "a b\n");
  const Tokenizer t = Tokenizer::from_directory(dir.path());
  EXPECT_EQ(error_of([&] { t.encode("ok\xFF"); }), "invalid UTF-8 at byte 2");
  EXPECT_EQ(error_of([&] { t.decode(Ids{999}, false); }), "decode: token id 999 is not in the vocabulary");
}

TEST(TokenizerErrors, MissingFiles) {
  EXPECT_EQ(error_of([] { Tokenizer::from_directory("/nonexistent/vlq"); }),
            "/nonexistent/vlq: tokenizer directory not found");
  TempDir dir("missing");
  dir.write("vocab.json", vocab_json({}));
  EXPECT_EQ(error_of([&] { Tokenizer::from_directory(dir.path()); }), (dir.path() / "merges.txt").string() + ": file not found");
  dir.write("merges.txt", "");
  EXPECT_EQ(error_of([&] { Tokenizer::from_directory(dir.path()); }),
            (dir.path() / "tokenizer_config.json").string() + ": file not found");
}

TEST(TokenizerErrors, MalformedJson) {
  TempDir dir("badjson");
  dir.write("vocab.json", "{\"a\": 0,");
  dir.write("merges.txt", "");
  const std::string e = error_of([&] { Tokenizer::from_directory(dir.path()); });
  EXPECT_EQ(e.rfind((dir.path() / "vocab.json").string() + ": malformed JSON", 0), 0u) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos);
}

TEST(TokenizerErrors, BadMergesLines) {
  const std::string merges_path = "merges.txt";
  {
    TempDir dir = tiny_tokenizer("m1", "#version: 0.2\na b\nb c d\n");
    EXPECT_EQ(error_of([&] { Tokenizer::from_directory(dir.path()); }),
              (dir.path() / merges_path).string() + ": line 3: expected two tokens separated by one space, got 'b c d'");
  }
  {
    TempDir dir = tiny_tokenizer("m2", "a b\nzz b\n");
    EXPECT_EQ(error_of([&] { Tokenizer::from_directory(dir.path()); }),
              (dir.path() / merges_path).string() + ": line 2: merge token 'zz' is not in vocab.json");
  }
  {
    TempDir dir = tiny_tokenizer("m3", "a b\nc a\n");  // "ca" is not in the vocab
    EXPECT_EQ(error_of([&] { Tokenizer::from_directory(dir.path()); }),
              (dir.path() / merges_path).string() + ": line 2: merge result 'ca' is not in vocab.json");
  }
}

TEST(TokenizerErrors, VocabWithoutByteTokens) {
  TempDir dir("nobytes");
  dir.write("vocab.json", R"({"a": 0, "b": 1})");
  dir.write("merges.txt", "");
  dir.write("tokenizer_config.json", "{}");
  const std::string e = error_of([&] { Tokenizer::from_directory(dir.path()); });
  EXPECT_NE(e.find("vocab lacks the byte-level token for byte 0"), std::string::npos) << e;
}

namespace {
// A tokenizer.json in the shape transformers writes for Qwen2, over the tiny vocab.
std::string tiny_tokenizer_json(const std::string& merges_json, const std::string& pattern) {
  return R"({"added_tokens": [{"id": 300, "content": "<|end|>", "single_word": false, "lstrip": false,
      "rstrip": false, "normalized": false, "special": true}],
    "normalizer": {"type": "NFC"},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"Regex": ")" + pattern + R"("}, "behavior": "Isolated", "invert": false},
      {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": "",
      "end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
      "vocab": )" + vocab_json({"ab", "bc", "abc", "aa", "aaaa"}) + R"(, "merges": )" + merges_json + "}}";
}
// The Qwen2 pattern, JSON-escaped.
const std::string kPatternJson =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+)";
}  // namespace

TEST(TokenizerJson, BothMergeFormatsLoad) {
  for (const std::string& merges : {std::string(R"(["b c", "a b"])"), std::string(R"([["b", "c"], ["a", "b"]])")}) {
    TempDir dir("tj");
    dir.write("tokenizer.json", tiny_tokenizer_json(merges, kPatternJson));
    dir.write("tokenizer_config.json", R"({"eos_token": "<|end|>", "pad_token": null})");
    const Tokenizer t = Tokenizer::from_directory(dir.path());
    EXPECT_EQ(t.encode("abc<|end|>"), (Ids{97, 257, 300}));
    EXPECT_EQ(t.eos_token_id(), 300);
    EXPECT_EQ(error_of([&] { t.pad_token_id(); }), "tokenizer has no pad_token");
  }
}

TEST(TokenizerJson, OtherPipelinesAreRejected) {
  TempDir dir("tj_bad");
  dir.write("tokenizer.json", tiny_tokenizer_json(R"(["a b"])", R"(\\w+)"));
  dir.write("tokenizer_config.json", "{}");
  EXPECT_EQ(error_of([&] { Tokenizer::from_directory(dir.path()); }),
            (dir.path() / "tokenizer.json").string() + ": pre_tokenizer is not the Qwen2 Split(regex) + ByteLevel pipeline");
  dir.write("tokenizer.json", tiny_tokenizer_json(R"(["a zz"])", kPatternJson));
  EXPECT_EQ(error_of([&] { Tokenizer::from_directory(dir.path()); }),
            (dir.path() / "tokenizer.json").string() + ": merge 0: merge token 'zz' is not in the vocab");
}
