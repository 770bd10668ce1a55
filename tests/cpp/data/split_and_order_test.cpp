// Calibration/eval disjointness and the deterministic batch order.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "data_test_support.hpp"
#include "vlq/data/batch_order.hpp"
#include "vlq/data/calib_db_source.hpp"
#include "vlq/data/calib_eval_split.hpp"
#include "vlq/data/caption_file_source.hpp"
#include "vlq/data/caption_text.hpp"
#include "vlq/data/jsonl_source.hpp"

using namespace vlq::data;
namespace ts = vlq::data::test_support;
using vlq::data::test_support::error_of;

namespace {
Sample make_sample(std::string caption, int64_t caption_id = -1, int64_t image_id = -1) {
  Sample s;
  s.caption_raw = caption;
  s.caption = std::move(caption);
  s.origin.caption_id = caption_id;
  s.origin.image_id = image_id;
  return s;
}
}  // namespace

TEST(Split, RealDbCalibAndEvalShareNoCaptionImageOrText) {
  const SampleSet db = read_calib_db(ts::calib_dir() / "coco2017_vlm_calib.db");
  const SplitResult split = split_single_source(db.samples, {.max_samples = 0, .eval_samples = 256, .eval_holdout = 256});
  EXPECT_EQ(split.calib.size(), 4096u - 256u);
  EXPECT_FALSE(split.eval.empty());
  std::set<int64_t> captions, images;
  std::set<std::string> texts;
  for (size_t i : split.calib) {
    captions.insert(db.samples[i].origin.caption_id);
    images.insert(db.samples[i].origin.image_id);
    texts.insert(normalize_caption(db.samples[i].caption));
  }
  for (size_t i : split.eval) {
    EXPECT_FALSE(captions.contains(db.samples[i].origin.caption_id));
    EXPECT_FALSE(images.contains(db.samples[i].origin.image_id));
    EXPECT_FALSE(texts.contains(normalize_caption(db.samples[i].caption)));
    EXPECT_GE(i, 4096u - 256u);
  }
  EXPECT_EQ(static_cast<int64_t>(split.eval.size()) + split.overlap_excluded, 256);
}

TEST(Split, Eval100JsonlOverlapsTheCaptionsFileEntirely) {
  // PROVENANCE: eval_100 rows are DB rows 1..100, i.e. captions lines 1..100.
  const SampleSet txt = read_caption_file(ts::calib_dir() / "coco2017_captions.txt");
  const SampleSet jsonl = read_jsonl_file(ts::calib_dir() / "coco2017_vlm_eval_100.jsonl");
  const SplitResult split = split_with_eval_source(txt.samples, jsonl.samples, {.max_samples = 512, .eval_samples = 100});
  EXPECT_EQ(split.eval.size(), 0u);
  EXPECT_EQ(split.overlap_excluded, 100);
}

TEST(Split, SeparateEvalSourceKeepsNonOverlapping) {
  const std::vector<Sample> calib = {make_sample("a dog", 1, 10), make_sample("a cat", 2, 11)};
  const std::vector<Sample> eval = {make_sample("A dog.", -1, -1), make_sample("a bird", 3, 11),
                                    make_sample("a horse", 2, 12), make_sample("a fish", 4, 13)};
  const SplitResult split = split_with_eval_source(calib, eval, {.max_samples = 1, .eval_samples = 5});
  EXPECT_EQ(split.calib, (std::vector<size_t>{0}));
  EXPECT_EQ(split.eval, (std::vector<size_t>{3}));  // text, image and caption-id overlaps excluded
  EXPECT_EQ(split.overlap_excluded, 3);
}

TEST(Split, EvalSamplesBeyondHoldoutIsAnError) {
  const std::vector<Sample> samples(10, make_sample("x"));
  EXPECT_EQ(error_of([&] { split_single_source(samples, {.max_samples = 2, .eval_samples = 5, .eval_holdout = 4}); }),
            "eval_samples (5) exceeds eval_holdout (4): evaluation only draws from the held-out tail, raise eval_holdout");
}

TEST(BatchOrder, PermutationIsDeterministicAndComplete) {
  const auto a = deterministic_permutation(1000, 42);
  const auto b = deterministic_permutation(1000, 42);
  const auto c = deterministic_permutation(1000, 43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  std::vector<size_t> expected(1000);
  std::iota(expected.begin(), expected.end(), size_t{0});
  EXPECT_EQ(sorted, expected);
}

TEST(BatchOrder, NoShuffleKeepsSourceOrderAndLastBatchIsShort) {
  const std::vector<int64_t> lengths(10, 5);
  const auto batches = plan_batches(lengths, {.batch_size = 4}, 0);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0], (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(batches[2], (std::vector<size_t>{8, 9}));
}

TEST(BatchOrder, ShuffleDiffersPerEpochButIsReproducible) {
  const std::vector<int64_t> lengths(64, 5);
  const BatchOrderConfig config{.batch_size = 8, .shuffle = true, .seed = 7};
  EXPECT_EQ(plan_batches(lengths, config, 0), plan_batches(lengths, config, 0));
  EXPECT_NE(plan_batches(lengths, config, 0), plan_batches(lengths, config, 1));
}

TEST(BatchOrder, BucketingReducesPadding) {
  std::vector<int64_t> lengths;
  for (int i = 0; i < 512; ++i) lengths.push_back(10 + (i * 37) % 90);
  auto padded = [&](const BatchOrderConfig& config) {
    int64_t cells = 0;
    for (const auto& batch : plan_batches(lengths, config, 0)) {
      int64_t longest = 0;
      for (size_t i : batch) longest = std::max(longest, lengths[i]);
      cells += longest * static_cast<int64_t>(batch.size());
    }
    return cells;
  };
  const BatchOrderConfig plain{.batch_size = 8, .shuffle = true, .seed = 1};
  BatchOrderConfig bucketed = plain;
  bucketed.bucket_by_length = true;
  EXPECT_LT(padded(bucketed), padded(plain));
  std::vector<size_t> all;
  for (const auto& batch : plan_batches(lengths, bucketed, 0)) all.insert(all.end(), batch.begin(), batch.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all.size(), 512u);
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
}
