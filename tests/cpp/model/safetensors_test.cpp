// The safetensors reader on synthetic files written at test time: valid single/sharded files
// round-trip every dtype; each kind of corruption yields one vlq::Error naming the file (and the
// tensor where there is one), never a crash or out-of-bounds read (run under ASan/UBSan in CI).
#include <gtest/gtest.h>

#include <fstream>

#include "synthetic_checkpoint.hpp"
#include "vlq/core/error.hpp"
#include "vlq/model/checkpoint.hpp"
#include "vlq/model/safetensors.hpp"

namespace vlq::model {
namespace {

using testing::RawTensor;
using testing::TempDir;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const vlq::Error& e) {
    return e.what();
  }
  return "<no error>";
}

void expect_one_line_error(const std::string& message, std::initializer_list<std::string> parts) {
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  for (const auto& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message << " lacks " << part;
}

std::map<std::string, RawTensor> two_tensors() {
  return {{"a", RawTensor{"F32", {2, 3}, testing::f32_bytes({1, 2, 3, 4, 5, 6})}},
          {"b", RawTensor{"BF16", {2}, testing::bf16_bytes({1.5f, -2.0f})}}};
}

TEST(Safetensors, ReadsEveryDtype) {
  TempDir tmp;
  std::map<std::string, RawTensor> t = two_tensors();
  // F16 bit patterns: 1.0 = 0x3c00, -2.5 = 0xc100, smallest subnormal 2^-24 = 0x0001, inf.
  t["c"] = RawTensor{"F16", {4}, {0x00, 0x3c, 0x00, 0xc1, 0x01, 0x00, 0x00, 0x7c}};
  testing::write_safetensors(tmp.path() / "model.safetensors", t);
  const auto set = SafetensorsSet::open(tmp.path());
  ASSERT_NE(set.find("a"), nullptr);
  EXPECT_EQ(set.find("a")->shape, (std::vector<int64_t>{2, 3}));
  std::vector<float> a(6), b(2), c(4);
  convert_to_f32(set.find("a")->dtype, set.find("a")->bytes, a);
  convert_to_f32(set.find("b")->dtype, set.find("b")->bytes, b);
  convert_to_f32(set.find("c")->dtype, set.find("c")->bytes, c);
  EXPECT_EQ(a, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(b, (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(c[0], 1.0f);
  EXPECT_EQ(c[1], -2.5f);
  EXPECT_EQ(c[2], std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(c[3]));
  EXPECT_EQ(set.find("missing"), nullptr);
}

TEST(Safetensors, ShardedIndexAndBothNameSpellings) {
  TempDir tmp;
  testing::write_safetensors(tmp.path() / "model-00001-of-00002.safetensors",
                             {{"model.language_model.norm.weight", RawTensor{"F32", {2}, testing::f32_bytes({1, 2})}}});
  testing::write_safetensors(tmp.path() / "model-00002-of-00002.safetensors",
                             {{"visual.merger.ln_q.weight", RawTensor{"F32", {1}, testing::f32_bytes({3})}}});
  std::ofstream(tmp.path() / "model.safetensors.index.json")
      << R"({"metadata": {}, "weight_map": {"model.language_model.norm.weight": "model-00001-of-00002.safetensors",)"
      << R"( "visual.merger.ln_q.weight": "model-00002-of-00002.safetensors"}})";
  const auto ckpt = Checkpoint::open(tmp.path());
  EXPECT_TRUE(ckpt.contains("model.norm.weight"));
  EXPECT_TRUE(ckpt.contains("model.language_model.norm.weight"));
  EXPECT_TRUE(ckpt.contains("model.visual.merger.ln_q.weight"));
  EXPECT_EQ(ckpt.load_f32("model.norm.weight"), (std::vector<float>{1, 2}));
  EXPECT_EQ(ckpt.load_f32("model.visual.merger.ln_q.weight"), (std::vector<float>{3}));
  expect_one_line_error(error_of([&] { ckpt.tensor("lm_head.weight"); }), {"missing tensor 'lm_head.weight'"});
  expect_one_line_error(error_of([&] { ckpt.expect_shape("model.norm.weight", std::vector<int64_t>{3}); }),
                        {"model-00001-of-00002.safetensors", "model.language_model.norm.weight",
                         "expected shape [3]", "found [2]"});
}

TEST(Safetensors, IndexListingATensorAbsentFromItsShard) {
  TempDir tmp;
  testing::write_safetensors(tmp.path() / "s1.safetensors", two_tensors());
  std::ofstream(tmp.path() / "model.safetensors.index.json") << R"({"weight_map": {"a": "s1.safetensors", "zz": "s1.safetensors"}})";
  expect_one_line_error(error_of([&] { SafetensorsSet::open(tmp.path()); }),
                        {"model.safetensors.index.json", "'zz'", "s1.safetensors"});
}

TEST(Safetensors, IndexShardOutsideDirectoryRejected) {
  TempDir tmp;
  std::ofstream(tmp.path() / "model.safetensors.index.json") << R"({"weight_map": {"a": "../x.safetensors"}})";
  expect_one_line_error(error_of([&] { SafetensorsSet::open(tmp.path()); }), {"not a plain file name"});
}

TEST(Safetensors, TruncatedFile) {
  TempDir tmp;
  const auto path = tmp.path() / "model.safetensors";
  testing::write_safetensors(path, two_tensors());
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 3);
  expect_one_line_error(error_of([&] { SafetensorsSet::open(path); }), {path.string(), "tensor 'b'", "past the data section"});
  std::filesystem::resize_file(path, 5);
  expect_one_line_error(error_of([&] { SafetensorsSet::open(path); }), {path.string(), "shorter than the 8-byte"});
}

TEST(Safetensors, HeaderLengthPastEndOfFile) {
  TempDir tmp;
  const auto path = tmp.path() / "model.safetensors";
  const auto t = two_tensors();
  const std::string header = testing::header_json(t);
  testing::write_raw(path, header, {}, uint64_t(1) << 40);
  expect_one_line_error(error_of([&] { SafetensorsSet::open(path); }), {path.string(), "header length 1099511627776", "past the end"});
  testing::write_raw(path, header, {}, ~uint64_t(0));  // would overflow 8 + len
  expect_one_line_error(error_of([&] { SafetensorsSet::open(path); }), {path.string(), "past the end"});
}

TEST(Safetensors, MalformedHeaderJson) {
  TempDir tmp;
  const auto path = tmp.path() / "model.safetensors";
  testing::write_raw(path, "{\"a\": {\"dtype\": ", {}, 16);
  expect_one_line_error(error_of([&] { SafetensorsSet::open(path); }), {path.string(), "malformed JSON"});
  testing::write_raw(path, "[1, 2]", {}, 6);
  expect_one_line_error(error_of([&] { SafetensorsSet::open(path); }), {path.string(), "not a JSON object"});
}

std::string edit_header(const std::string& header, const std::string& from, const std::string& to) {
  std::string h = header;
  const auto at = h.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  h.replace(at, from.size(), to);
  return h;
}

void write_with_header(const std::filesystem::path& path, const std::string& header) {
  std::vector<unsigned char> data;
  for (const auto& [name, t] : two_tensors()) data.insert(data.end(), t.bytes.begin(), t.bytes.end());
  testing::write_raw(path, header, data, header.size());
}

TEST(Safetensors, OverlappingOffsets) {
  TempDir tmp;
  const auto path = tmp.path() / "model.safetensors";
  // b normally occupies [24, 28); make it [20, 24) overlapping a = [0, 24) and leave a hole.
  write_with_header(path, edit_header(testing::header_json(two_tensors()), "[24,28]", "[20,24]"));
  expect_one_line_error(error_of([&] { SafetensorsSet::open(path); }), {path.string(), "tensor 'b'", "overlap"});
}

TEST(Safetensors, OffsetsNotCoveringData) {
  TempDir tmp;
  const auto path = tmp.path() / "model.safetensors";
  auto t = two_tensors();
  std::vector<unsigned char> data;
  for (const auto& [name, x] : t) data.insert(data.end(), x.bytes.begin(), x.bytes.end());
  data.push_back(0);
  data.push_back(0);  // 2 trailing bytes no tensor owns
  const std::string header = testing::header_json(t);
  testing::write_raw(path, header, data, header.size());
  expect_one_line_error(error_of([&] { SafetensorsSet::open(path); }), {path.string(), "cover 28 of the 30"});
}

TEST(Safetensors, WrongDtypeSize) {
  TempDir tmp;
  const auto path = tmp.path() / "model.safetensors";
  // a is [2,3] F32 = 24 bytes; declaring BF16 makes shape × size = 12 ≠ 24.
  write_with_header(path, edit_header(testing::header_json(two_tensors()), "\"F32\"", "\"BF16\""));
  expect_one_line_error(error_of([&] { SafetensorsSet::open(path); }),
                        {path.string(), "tensor 'a'", "[2, 3]", "byte length 24"});
}

TEST(Safetensors, UnknownDtypeAndBadShape) {
  TempDir tmp;
  const auto path = tmp.path() / "model.safetensors";
  write_with_header(path, edit_header(testing::header_json(two_tensors()), "\"F32\"", "\"Q4\""));
  expect_one_line_error(error_of([&] { SafetensorsSet::open(path); }), {"tensor 'a'", "unsupported dtype 'Q4'"});
  write_with_header(path, edit_header(testing::header_json(two_tensors()), "[2,3]", "[2,-3]"));
  expect_one_line_error(error_of([&] { SafetensorsSet::open(path); }), {"tensor 'a'", "non-negative integers"});
  // A huge dimension must not overflow the size check.
  write_with_header(path, edit_header(testing::header_json(two_tensors()), "[2,3]", "[4611686018427387904,4]"));
  expect_one_line_error(error_of([&] { SafetensorsSet::open(path); }), {"tensor 'a'", "does not match the byte length"});
}

TEST(Safetensors, PickleOnlyDirectoryAsksForConversion) {
  TempDir tmp;
  std::ofstream(tmp.path() / "pytorch_model.bin") << "\x80\x02}q\x00.";
  expect_one_line_error(error_of([&] { Checkpoint::open(tmp.path()); }),
                        {"pytorch_model.bin", "convert to safetensors"});
  expect_one_line_error(error_of([&] { SafetensorsSet::open(tmp.path() / "pytorch_model.bin"); }),
                        {"convert to safetensors"});
}

TEST(Safetensors, EmptyDirectory) {
  TempDir tmp;
  expect_one_line_error(error_of([&] { Checkpoint::open(tmp.path()); }), {"no model.safetensors"});
}

TEST(Safetensors, BothSpellingsOfOneTensorRejected) {
  TempDir tmp;
  testing::write_safetensors(tmp.path() / "model.safetensors",
                             {{"model.norm.weight", RawTensor{"F32", {1}, testing::f32_bytes({1})}},
                              {"model.language_model.norm.weight", RawTensor{"F32", {1}, testing::f32_bytes({1})}}});
  expect_one_line_error(error_of([&] { Checkpoint::open(tmp.path()); }), {"both name spellings"});
}

}  // namespace
}  // namespace vlq::model
