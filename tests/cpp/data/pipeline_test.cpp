// Prompt building, collation, the pipeline and the on-disk dataset with the real tokenizer.
// Token-level parity with HF over all 4096 captions is tests/python/test_data_parity.py; here the
// golden ids for one caption were produced by HF transformers 4.57.6 (apply_chat_template with
// chat_template.json + Qwen2TokenizerFast on the shared tokenizer files).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>

#include "data_test_support.hpp"
#include "vlq/data/collate.hpp"
#include "vlq/data/data_pipeline.hpp"
#include "vlq/data/loader_statistics.hpp"
#include "vlq/text/sha256.hpp"

namespace fs = std::filesystem;
using namespace vlq::data;
namespace ts = vlq::data::test_support;
using vlq::data::test_support::error_of;
using vlq::data::test_support::scratch_dir;
using vlq::data::test_support::write_bytes;

namespace {

const TextAssets& assets() {
  static const TextAssets loaded = TextAssets::from_directory(ts::model_dir());
  return loaded;
}

Sample caption_sample(std::string caption) {
  Sample s;
  s.caption_raw = caption;
  s.caption = std::move(caption);
  return s;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

DataConfig small_config(const fs::path& captions) {
  DataConfig config;
  config.model_dir = ts::model_dir();
  config.source.kind = SourceKind::kCaptions;
  config.source.path = captions;
  config.split = {.max_samples = 8, .eval_samples = 4, .eval_holdout = 4};
  config.calib_order = {.batch_size = 3, .shuffle = true, .seed = 5};
  config.eval_order = {.batch_size = 2};
  return config;
}

}  // namespace

TEST(ExampleBuilder, SeedPromptMatchesHfGoldenIds) {
  const ExampleBuilder builder(assets().tokenizer, assets().chat_template, PromptConfig{});
  const Example e = builder.build(caption_sample("A man riding a horse."), 3);
  EXPECT_EQ(e.prompt_text,
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
            "A man riding a horse.<|im_end|>\n<|im_start|>assistant\n");
  const std::vector<int32_t> hf = {151644, 8948, 198, 2610, 525, 264, 10950, 17847, 13, 151645, 198, 151644, 872,
                                   198, 32, 883, 19837, 264, 15223, 13, 151645, 198, 151644, 77091, 198};
  EXPECT_EQ(e.input_ids, hf);
  EXPECT_EQ(e.labels, hf);  // label mode "all": every real token
  EXPECT_EQ(e.sample_index, 3);
  EXPECT_FALSE(e.truncated());
}

TEST(ExampleBuilder, TruncatesToMaxSeqLen) {
  PromptConfig config;
  config.max_seq_len = 10;
  const ExampleBuilder builder(assets().tokenizer, assets().chat_template, config);
  const Example e = builder.build(caption_sample("A man riding a horse."), 0);
  EXPECT_EQ(e.length(), 10);
  EXPECT_EQ(e.untruncated_length, 25);
  EXPECT_TRUE(e.truncated());
}

TEST(ExampleBuilder, CaptionModeLabelsOnlyTheCaptionAndImEnd) {
  PromptConfig config;
  config.label_mode = LabelMode::kCaption;
  const ExampleBuilder builder(assets().tokenizer, assets().chat_template, config);
  const Example e = builder.build(caption_sample("A man riding a horse."), 0);
  EXPECT_EQ(e.prompt_text,
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
            "Describe this image.<|im_end|>\n<|im_start|>assistant\nA man riding a horse.<|im_end|>\n");
  std::vector<int32_t> labelled;
  size_t first = e.labels.size();
  for (size_t i = 0; i < e.labels.size(); ++i) {
    if (e.labels[i] == kIgnoreLabel) continue;
    EXPECT_EQ(e.labels[i], e.input_ids[i]);
    first = std::min(first, i);
    labelled.push_back(e.labels[i]);
  }
  EXPECT_EQ(assets().tokenizer.decode(labelled, false), "A man riding a horse.<|im_end|>");
  EXPECT_EQ(assets().tokenizer.decode(std::span(e.input_ids).first(first), false),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
            "Describe this image.<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(e.labels.back(), kIgnoreLabel);  // the template's trailing "\n" is not scored
}

TEST(Collate, PadsRightMasksLabelsAndCountsPositions) {
  std::vector<Example> examples(2);
  examples[0].input_ids = {10, 11, 12};
  examples[0].labels = {10, 11, 12};
  examples[1].input_ids = {20, 21};
  examples[1].labels = {-100, 21};
  examples[0].prompt_text = "a";
  examples[1].prompt_text = "b";
  examples[1].sample_index = 9;
  const std::vector<size_t> rows = {1, 0};
  const Batch b = collate(examples, rows, 151643);
  EXPECT_EQ(b.batch_size, 2);
  EXPECT_EQ(b.seq_len, 3);
  EXPECT_EQ(b.input_ids, (std::vector<int64_t>{20, 21, 151643, 10, 11, 12}));
  EXPECT_EQ(b.attention_mask, (std::vector<int64_t>{1, 1, 0, 1, 1, 1}));
  EXPECT_EQ(b.labels, (std::vector<int64_t>{-100, 21, -100, 10, 11, 12}));
  // HF get_rope_index without images: cumsum(mask) - 1, and 1 on padding, same on all 3 axes.
  const std::vector<int64_t> axis = {0, 1, 1, 0, 1, 2};
  std::vector<int64_t> expected;
  for (int a = 0; a < 3; ++a) expected.insert(expected.end(), axis.begin(), axis.end());
  EXPECT_EQ(b.position_ids, expected);
  EXPECT_EQ(b.prompt_text, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(b.sample_index, (std::vector<int64_t>{9, 0}));
  EXPECT_TRUE(b.pixel_values.empty());
}

TEST(Pipeline, SplitsSmallCaptionsDisjointlyAndReportsStatistics) {
  const PreparedData data = prepare_data(small_config(ts::calib_dir() / "coco2017_captions_small.txt"), assets());
  EXPECT_EQ(data.calib.size(), 8u);
  EXPECT_EQ(data.eval.size() + static_cast<size_t>(data.report.overlap_excluded), 4u);
  for (const Example& c : data.calib.examples()) {
    EXPECT_LT(c.sample_index, 12);
    for (const Example& e : data.eval.examples()) EXPECT_NE(c.prompt_text, e.prompt_text);
  }
  const LoaderStatistics stats = compute_statistics(data.calib);
  EXPECT_EQ(stats.samples, 8);
  EXPECT_EQ(stats.batches, 3);
  EXPECT_LE(stats.min_length, stats.median_length);
  EXPECT_LE(stats.median_length, stats.p95_length);
  EXPECT_LE(stats.p95_length, stats.max_length);
  EXPECT_EQ(stats.label_tokens, stats.real_tokens);
}

TEST(Dataset, RebuildIsByteIdenticalAndReadsBack) {
  const auto config = small_config(ts::calib_dir() / "coco2017_captions_small.txt");
  const fs::path a = scratch_dir("dataset_a");
  const fs::path b = scratch_dir("dataset_b");
  write_prepared(a, prepare_data(config, assets()));
  write_prepared(b, prepare_data(config, assets()));
  for (const char* file : {"calib/manifest.json", "calib/shard-00000.bin", "eval/manifest.json", "eval/shard-00000.bin"}) {
    ASSERT_TRUE(fs::exists(a / file)) << file;
    EXPECT_EQ(slurp(a / file), slurp(b / file)) << file;
  }
  const PreparedData fresh = prepare_data(config, assets());
  const Dataset back = read_dataset(a / "calib");
  ASSERT_EQ(back.loader.size(), fresh.calib.size());
  for (uint64_t epoch : {0u, 1u}) {
    const auto want = fresh.calib.batches(epoch);
    const auto got = back.loader.batches(epoch);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].input_ids, want[i].input_ids);
      EXPECT_EQ(got[i].labels, want[i].labels);
      EXPECT_EQ(got[i].position_ids, want[i].position_ids);
      EXPECT_EQ(got[i].prompt_text, want[i].prompt_text);
      EXPECT_EQ(got[i].sample_index, want[i].sample_index);
    }
  }
  EXPECT_EQ(back.manifest.at("tokenizer_fingerprint"), assets().tokenizer.fingerprint());
}

TEST(Dataset, CorruptShardIsAOneLineError) {
  const fs::path dir = scratch_dir("dataset_corrupt");
  write_prepared(dir, prepare_data(small_config(ts::calib_dir() / "coco2017_captions_small.txt"), assets()));
  std::string shard = slurp(dir / "calib" / "shard-00000.bin");
  shard[shard.size() / 2] ^= 0x5A;
  write_bytes(dir / "calib" / "shard-00000.bin", shard);
  EXPECT_EQ(error_of([&] { read_dataset(dir / "calib"); }),
            (dir / "calib" / "shard-00000.bin").string() + ": sha256 does not match the manifest");
}

namespace {
// Replaces the calib shard with `bytes` and records its sha256 in the manifest, so the reader's
// structural checks (not the checksum) must catch the damage.
fs::path tamper_calib_shard(std::string_view name, const std::function<void(std::string&)>& edit) {
  const fs::path dir = scratch_dir(name);
  write_prepared(dir, prepare_data(small_config(ts::calib_dir() / "coco2017_captions_small.txt"), assets()));
  std::string shard = slurp(dir / "calib" / "shard-00000.bin");
  edit(shard);
  write_bytes(dir / "calib" / "shard-00000.bin", shard);
  vlq::Json manifest = vlq::read_json_file(dir / "calib" / "manifest.json");
  manifest["shards"][0]["sha256"] = vlq::text::sha256_hex(shard);
  write_bytes(dir / "calib" / "manifest.json", manifest.dump(2));
  return dir / "calib";
}
}  // namespace

TEST(Dataset, TruncatedShardIsRejectedWithoutReadingPastTheEnd) {
  const fs::path dir = tamper_calib_shard("dataset_truncated", [](std::string& s) { s.resize(s.size() - 7); });
  EXPECT_EQ(error_of([&] { read_dataset(dir); }), (dir / "shard-00000.bin").string() + ": shard is truncated");
}

TEST(Dataset, RecordPointingOutsideItsArraysIsRejected) {
  const fs::path dir = tamper_calib_shard("dataset_bad_record", [](std::string& s) {
    const uint64_t huge = uint64_t{1} << 40;
    std::memcpy(s.data() + 40 + 8, &huge, sizeof huge);  // first record's token_count
  });
  EXPECT_EQ(error_of([&] { read_dataset(dir); }),
            (dir / "shard-00000.bin").string() + ": shard record points outside its arrays");
}

TEST(Dataset, HugeCountsInTheHeaderAreRejected) {
  const fs::path dir = tamper_calib_shard("dataset_huge_count", [](std::string& s) {
    const uint64_t huge = ~uint64_t{0} / 2;
    std::memcpy(s.data() + 8, &huge, sizeof huge);  // examples
  });
  EXPECT_EQ(error_of([&] { read_dataset(dir); }), (dir / "shard-00000.bin").string() + ": shard is truncated");
}
