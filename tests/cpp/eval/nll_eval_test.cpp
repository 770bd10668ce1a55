// The eval accumulator on hand-made token losses (expected values computed by hand), the Batch →
// ModelInputs adapter, and the logit comparison on cases with closed-form answers.
#include <gtest/gtest.h>

#include <cmath>

#include "vlq/core/error.hpp"
#include "vlq/eval/batch_inputs.hpp"
#include "vlq/eval/logit_compare.hpp"
#include "vlq/eval/nll_eval.hpp"

namespace vlq::eval {
namespace {

data::Batch make_batch(int64_t B, int64_t L, std::vector<int64_t> mask, std::vector<int64_t> labels) {
  data::Batch b;
  b.batch_size = B;
  b.seq_len = L;
  b.input_ids.assign(size_t(B * L), 7);
  b.attention_mask = std::move(mask);
  b.labels = std::move(labels);
  for (int64_t i = 0; i < B; ++i) b.sample_index.push_back(100 + i);
  return b;
}

model::TokenLoss make_loss(int64_t B, int64_t L, std::vector<double> nll, std::vector<uint8_t> scored) {
  return model::TokenLoss{B, L, std::move(nll), std::move(scored)};
}

TEST(NllAccumulator, TokenMeanIsSumOverSumNotMeanOfBatchMeans) {
  NllAccumulator acc;
  // Batch 1: two rows, 3 predicted tokens with NLL 1, 2, 3. Batch 2: one token with NLL 10.
  acc.add(make_batch(2, 3, {1, 1, 1, 1, 1, 0}, {}),
          make_loss(2, 3, {1, 2, 0, 3, 0, 0}, {1, 1, 0, 1, 0, 0}));
  acc.add(make_batch(1, 2, {1, 1}, {}), make_loss(1, 2, {10, 0}, {1, 0}));
  const EvalResult r = acc.result();
  EXPECT_DOUBLE_EQ(r.mean_nll, 16.0 / 4.0);  // a mean of batch means would be (2 + 10) / 2 = 6
  EXPECT_DOUBLE_EQ(r.score, -4.0);
  EXPECT_DOUBLE_EQ(r.perplexity, std::exp(4.0));
  EXPECT_EQ(r.tokens, 4);
  EXPECT_EQ(r.batches, 2);
  ASSERT_EQ(r.samples.size(), 3u);
  EXPECT_EQ(r.samples[0].sample_index, 100);
  EXPECT_DOUBLE_EQ(r.samples[0].nll_sum, 3.0);
  EXPECT_EQ(r.samples[0].tokens, 2);
  EXPECT_DOUBLE_EQ(r.samples[0].perplexity(), std::exp(1.5));
  EXPECT_DOUBLE_EQ(r.samples[1].nll_sum, 3.0);
  EXPECT_EQ(r.samples[2].tokens, 1);
}

TEST(NllAccumulator, SeedCompatWeightsBatchMeanByMaskSum) {
  NllAccumulator acc(Weighting::kSeedCompat);
  const data::Batch b1 = make_batch(2, 3, {1, 1, 1, 1, 1, 0}, {});
  EXPECT_EQ(acc.labels_for(b1), b1.input_ids);  // labels = input_ids, pads included
  // Every shifted target is scored: B·(L−1) = 4 per batch; mean 2.5, mask sum 5.
  acc.add(b1, make_loss(2, 3, {1, 2, 0, 3, 4, 0}, {1, 1, 0, 1, 1, 0}));
  // mean 10, mask sum 1 (one real token, one pad).
  acc.add(make_batch(1, 2, {1, 0}, {}), make_loss(1, 2, {10, 0}, {1, 0}));
  const EvalResult r = acc.result();
  EXPECT_DOUBLE_EQ(r.mean_nll, (2.5 * 5 + 10.0 * 1) / 6.0);
  EXPECT_EQ(r.tokens, 6);
}

TEST(NllAccumulator, TokenMeanNeedsLabels) {
  NllAccumulator acc;
  EXPECT_THROW(acc.labels_for(make_batch(1, 2, {1, 1}, {})), vlq::Error);
  EXPECT_EQ(acc.labels_for(make_batch(1, 2, {1, 1}, {-100, 5})), (std::vector<int64_t>{-100, 5}));
}

TEST(BatchInputs, ViewsTheBatchAndChecksSizes) {
  data::Batch b = make_batch(2, 3, {1, 1, 1, 1, 0, 0}, {});
  b.position_ids.assign(18, 0);
  const model::ModelInputs in = model_inputs(b);
  EXPECT_EQ(in.batch_size, 2);
  EXPECT_EQ(in.input_ids.data(), b.input_ids.data());
  EXPECT_EQ(in.position_ids.size(), 18u);
  b.attention_mask.pop_back();
  try {
    model_inputs(b);
    FAIL();
  } catch (const vlq::Error& e) {
    EXPECT_STREQ(e.what(), "batch: attention_mask has 5 values, expected 6");
  }
}

TEST(LogitCompare, ClosedFormCases) {
  // Row 0 identical; row 1: base logits (0, 0) vs cand (log 3, 0) → p = (.5, .5), q = (.75, .25):
  // KL = .5 log(.5/.75) + .5 log(.5/.25) = .5 log(4/3); argmax ties resolve to index 0 on both.
  const std::vector<float> base{1, 2, 0, 0, 5, 1};
  const std::vector<float> cand{1, 2, float(std::log(3.0)), 0, 1, 5};
  const auto c = compare_logits(base, cand, 3, 2, std::vector<int64_t>{1, 1, 0});
  EXPECT_EQ(c.rows, 2);
  EXPECT_NEAR(c.mean_kl, 0.5 * 0.5 * std::log(4.0 / 3.0), 1e-7);  // fp32 log 3 input
  EXPECT_DOUBLE_EQ(c.top1_agreement, 1.0);
  const auto all = compare_logits(base, cand, 3, 2);
  EXPECT_EQ(all.rows, 3);
  EXPECT_NEAR(all.top1_agreement, 2.0 / 3.0, 1e-12);  // row 2 argmax flips
  EXPECT_DOUBLE_EQ(all.max_abs_diff, 4.0);
  EXPECT_THROW(compare_logits(base, cand, 2, 2), vlq::Error);
}

}  // namespace
}  // namespace vlq::eval
