// Calibration, quantized forward, the four sensitivity methods, resume/shards/merge and the
// tuner on a synthetic subject (toy_subject.hpp) whose damaged op is known by construction.
#include "vlq/quant/sensitivity.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "toy_subject.hpp"
#include "vlq/core/error.hpp"
#include "vlq/core/file_io.hpp"
#include "vlq/quant/interceptors.hpp"
#include "vlq/quant/jsonl_log.hpp"
#include "vlq/quant/op_selection.hpp"
#include "vlq/quant/sensitivity_report.hpp"
#include "vlq/quant/tuner.hpp"

namespace vlq::quant {
namespace {

namespace fs = std::filesystem;
using testing::ToySubject;

constexpr int kDepth = 8, kDim = 48, kDamaged = 5;

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("vlq_quant_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

QuantContext calibrated(QuantSubject& s) {
  std::set<std::string> names;
  for (const auto& op : s.ops()) names.insert(op.name);
  ObserverInterceptor obs(names);
  s.calibrate(obs);
  return QuantContext(obs.take(), ObserverConfig{});
}

TEST(QuantizedForward, EmptyPlanIsBitIdenticalToFloat) {
  ToySubject s(kDepth, kDim, kDamaged);
  QuantContext ctx = calibrated(s);
  QuantPlan plan;
  for (const auto& op : s.ops()) plan.set(op.name, kFloat);
  QuantizingInterceptor q(ctx, plan);
  EXPECT_EQ(s.evaluate(&q), s.evaluate(nullptr));
  Logits a = s.output_logits(nullptr, 2), b = s.output_logits(&q, 2);
  EXPECT_EQ(a.values, b.values);
}

TEST(QuantizedForward, QuantizingChangesTheOutputAndPaddingIsNotObserved) {
  ToySubject s(kDepth, kDim, kDamaged);
  QuantContext ctx = calibrated(s);
  EXPECT_EQ(ctx.stats().at(s.ops()[0].name).count(), 4 * 23 * kDim);  // 4 batches × 23 real rows
  QuantPlan plan;
  for (const auto& op : s.ops()) plan.set(op.name, "w8a8");
  QuantizingInterceptor q(ctx, plan);
  EXPECT_NE(s.evaluate(&q), s.evaluate(nullptr));
}

class Methods : public ::testing::TestWithParam<std::string> {};

TEST_P(Methods, RankTheDamagedOpFirst) {
  ToySubject s(kDepth, kDim, kDamaged);
  QuantContext ctx = calibrated(s);
  SensitivityOptions opt;
  opt.methods = parse_methods(GetParam());
  opt.progress = false;
  fs::path out = fresh_dir("rank_" + GetParam());
  run_sensitivity(s, ctx, s.ops(), opt, out);
  Json report = read_json_file(out / "sensitivity.json");
  const auto& ranking = report["methods"][GetParam()]["ranking"];
  ASSERT_EQ(ranking.size(), static_cast<size_t>(kDepth));
  EXPECT_EQ(ranking[0]["op"], s.ops()[kDamaged].name);
  EXPECT_EQ(ranking[0]["rank"], 1);
  EXPECT_TRUE(fs::exists(out / "sensitivity.csv"));
  EXPECT_TRUE(fs::exists(out / "sensitivity.md"));
  fs::remove_all(out);
}

INSTANTIATE_TEST_SUITE_P(All, Methods, ::testing::Values("local", "loss", "output", "fallback"));

// The hidden-space `output` score is the logits-space one computed through the head's Gram
// matrix: per op the two sums of squared logit errors agree to float rounding (the GEMM of
// differences in fp32 against sums of squares of fp32 logit differences: 1e-4 relative).
TEST(OutputMethod, GramPathEqualsFullLogitsPath) {
  ToySubject s(kDepth, kDim, kDamaged);
  QuantContext ctx = calibrated(s);
  auto run = [&](bool kl) {
    SensitivityOptions opt;
    opt.methods = {SensitivityMethod::kOutput};
    opt.output_kl = kl;
    opt.progress = false;
    fs::path out = fresh_dir(kl ? "output_kl" : "output_gram");
    std::vector<Json> records = run_sensitivity(s, ctx, s.ops(), opt, out);
    fs::remove_all(out);
    return records;
  };
  const std::vector<Json> gram = run(false), logits = run(true);
  ASSERT_EQ(gram.size(), logits.size());
  int via_gram = 0;
  for (size_t i = 0; i < gram.size(); ++i) {
    ASSERT_EQ(gram[i]["op"], logits[i]["op"]);
    EXPECT_EQ(logits[i]["metrics"]["via"], "logits");
    EXPECT_TRUE(logits[i]["metrics"].contains("kl_mean"));
    const bool is_head = gram[i]["op"] == s.ops().back().name;
    EXPECT_EQ(gram[i]["metrics"]["via"], is_head ? "logits" : "gram") << gram[i]["op"];
    via_gram += !is_head;
    const double a = gram[i]["score"].get<double>(), b = logits[i]["score"].get<double>();
    EXPECT_GT(b, 0.0);
    EXPECT_NEAR(a, b, 1e-4 * b) << gram[i]["op"];
    EXPECT_GE(gram[i]["seconds"].get<double>(), 0.0);  // the JSONL records carry per-op time
  }
  EXPECT_EQ(via_gram, kDepth - 1);
}

TEST(Sensitivity, ResumeAfterAKillLosesNoFinishedOp) {
  fs::path out = fresh_dir("resume");
  SensitivityOptions opt;
  opt.methods = {SensitivityMethod::kLoss};
  opt.progress = false;
  {
    ToySubject s(kDepth, kDim, kDamaged);
    QuantContext ctx = calibrated(s);
    s.fail_after = 5;  // 2 baselines + 3 ops, then "killed" during the 4th op
    EXPECT_THROW(run_sensitivity(s, ctx, s.ops(), opt, out), std::runtime_error);
    EXPECT_EQ(read_jsonl(out / "loss.jsonl").size(), 3u);
  }
  // A torn partial line, as a SIGKILL mid-write would leave.
  {
    std::string text = read_file(out / "loss.jsonl") + "{\"op\": \"model.lay";
    write_file_atomic(out / "loss.jsonl", text);
  }
  ToySubject s(kDepth, kDim, kDamaged);
  QuantContext ctx = calibrated(s);
  opt.resume = true;
  run_sensitivity(s, ctx, s.ops(), opt, out);
  EXPECT_EQ(s.evaluations, 2 + kDepth - 3);  // 2 baselines + only the ops not yet scored
  fs::path fresh = fresh_dir("resume_ref");
  ToySubject s2(kDepth, kDim, kDamaged);
  QuantContext ctx2 = calibrated(s2);
  opt.resume = false;
  run_sensitivity(s2, ctx2, s2.ops(), opt, fresh);
  EXPECT_EQ(read_file(out / "sensitivity.json"), read_file(fresh / "sensitivity.json"));
  fs::remove_all(out);
  fs::remove_all(fresh);
}

TEST(Sensitivity, MergedShardsEqualTheUnshardedReport) {
  SensitivityOptions opt;
  opt.methods = parse_methods("local,loss,fallback");
  opt.progress = false;
  fs::path whole = fresh_dir("whole"), shards = fresh_dir("shards"), merged = fresh_dir("merged");
  {
    ToySubject s(kDepth, kDim, kDamaged);
    QuantContext ctx = calibrated(s);
    run_sensitivity(s, ctx, s.ops(), opt, whole);
  }
  opt.shard_count = 3;
  for (int i = 0; i < 3; ++i) {
    ToySubject s(kDepth, kDim, kDamaged);
    QuantContext ctx = calibrated(s);
    opt.shard_index = i;
    run_sensitivity(s, ctx, s.ops(), opt, shards);
  }
  EXPECT_FALSE(fs::exists(shards / "sensitivity.json"));
  // Missing shard → error naming the gap.
  fs::path partial = fresh_dir("partial");
  fs::copy(shards / "meta.shard-0-of-3.json", partial);
  fs::copy(shards / "loss.shard-0-of-3.jsonl", partial);
  EXPECT_THROW(merge_sensitivity({partial}, merged), Error);
  merge_sensitivity({shards}, merged);
  EXPECT_EQ(read_file(whole / "sensitivity.json"), read_file(merged / "sensitivity.json"));
  EXPECT_EQ(read_file(whole / "sensitivity.md"), read_file(merged / "sensitivity.md"));
  Json report = read_json_file(merged / "sensitivity.json");
  EXPECT_EQ(report["spearman"].size(), 3u);
  for (auto p : {whole, shards, merged, partial}) fs::remove_all(p);
}

TEST(Tuner, MeetsTheCriterionWithFewEvaluations) {
  ToySubject s(kDepth, kDim, kDamaged);
  QuantContext ctx = calibrated(s);
  std::vector<std::string> names;
  for (const auto& op : s.ops()) names.push_back(op.name);
  // Ranking from the loss method.
  SensitivityOptions opt;
  opt.methods = {SensitivityMethod::kLoss};
  opt.progress = false;
  fs::path out = fresh_dir("tune");
  run_sensitivity(s, ctx, s.ops(), opt, out);
  std::vector<std::string> ranked;
  // Keep the parsed JSON alive: a range-for over a subobject of a temporary dangles (C++20).
  const vlq::Json report = read_json_file(out / "sensitivity.json");
  for (const auto& r : report["methods"]["loss"]["ranking"]) ranked.push_back(r["op"]);
  TuneOptions t;
  t.scheme = "w8a8";
  t.tolerance = 0.002;
  TuneResult r = tune(s, ctx, names, ranked, t);
  EXPECT_GE(r.final_eval, r.target);
  EXPECT_LT(r.fallback_count, names.size());
  EXPECT_GE(r.fallback_count, 1u);  // all-quantized misses it (the damaged op), by construction
  EXPECT_EQ(r.plan.ops.at(s.ops()[kDamaged].name), kFloat);
  EXPECT_LE(r.evaluations(), 2 + 3);  // baseline, all-quantized, ≤ ceil(log2 8) bisection steps
  // The chosen plan really evaluates to what the tuner reported.
  QuantizingInterceptor q(ctx, r.plan);
  EXPECT_EQ(s.evaluate(&q), r.final_eval);
  write_tune_report(out, r, t, ranked);
  EXPECT_EQ(QuantPlan::from_json(read_json_file(out / "plan.json"), out / "plan.json").ops, r.plan.ops);
  fs::remove_all(out);
}

TEST(Tuner, TargetUsesAbsoluteValueOfANegativeBaseline) {
  EXPECT_DOUBLE_EQ(accuracy_target(-2.0, 0.01, true), -2.02);
  EXPECT_DOUBLE_EQ(accuracy_target(2.0, 0.01, true), 1.98);
  EXPECT_DOUBLE_EQ(accuracy_target(-2.0, 0.1, false), -2.1);
  EXPECT_THROW(accuracy_target(1.0, -0.1, true), Error);
}

TEST(OpSelection, GlobsRegexesAndLmHead) {
  std::vector<model::LinearOp> ops(4);
  ops[0].name = "model.layers.0.self_attn.q_proj";
  ops[1].name = "model.layers.0.mlp.down_proj";
  ops[2].name = "visual.blocks.0.attn.qkv";
  ops[3].name = "lm_head";
  ops[3].kind = "lm_head";
  OpSelector all;
  EXPECT_EQ(all.select(ops).size(), 3u);
  all.include_lm_head = true;
  EXPECT_EQ(all.select(ops).size(), 4u);
  OpSelector lm{{"model.layers.*"}, {"*.down_proj"}, false};
  ASSERT_EQ(lm.select(ops).size(), 1u);
  EXPECT_EQ(lm.select(ops)[0].name, ops[0].name);
  OpSelector re{{"re:visual\\..*qkv"}, {}, false};
  EXPECT_EQ(re.select(ops).size(), 1u);
  OpSelector bad{{"re:("}, {}, false};
  EXPECT_THROW(bad.select(ops), Error);
  EXPECT_THROW(parse_shard("3/3"), Error);
  EXPECT_THROW(parse_methods("loss,foo"), Error);
  EXPECT_EQ(parse_shard("1/4"), std::make_pair(1, 4));
}

TEST(QuantPlan, IncOpNameDictAndBadPlans) {
  QuantPlan p;
  p.set("a", "w8a8");
  p.set("b", kFloat);
  Json d = p.to_inc_op_name_dict();
  EXPECT_EQ(d["b"]["weight"]["dtype"][0], "fp32");
  EXPECT_EQ(d["a"]["weight"]["dtype"][0], "int8");
  EXPECT_EQ(d["a"]["activation"]["dtype"][0], "uint8");
  EXPECT_EQ(d["a"]["activation"]["scheme"][0], "asym");
  EXPECT_THROW(QuantPlan::from_json(Json{{"format", "vlq-quant-plan"}, {"ops", {{"a", "w9"}}}}, "p.json"), Error);
  EXPECT_THROW(QuantPlan::from_json(Json::array(), "p.json"), Error);
}

}  // namespace
}  // namespace vlq::quant
