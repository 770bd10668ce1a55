// Resuming the model from a float residual stream (Qwen25VL::residual_stream / advance and the
// `from` argument of token_loss / final_hidden_states), which sensitivity analysis uses to skip
// the unchanged prefix of the model per scored op. The contract is exactness: a resumed run
// must be bit-identical to a full run whenever the interceptor leaves the skipped ops in float.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "synthetic_checkpoint.hpp"
#include "vlq/core/error.hpp"
#include "vlq/model/qwen2_5_vl.hpp"

namespace vlq::model {
namespace {

using testing::TempDir;
using testing::TinyTextSpec;

using testing::PaddedTextBatch;

// Scales one op's weight (a stand-in for fake quantization) and records which ops it saw.
class ScaleOneOp : public LinearInterceptor {
 public:
  explicit ScaleOneOp(std::string op) : op_(std::move(op)) {}
  std::vector<std::string> seen;
  void before(const LinearOp& op, ActivationView) override { seen.push_back(op.name); }
  std::span<const float> weight(const LinearOp& op, std::span<const float> w) override {
    if (op.name != op_) return w;
    scaled_.assign(w.begin(), w.end());
    for (auto& x : scaled_) x *= 1.5f;
    return scaled_;
  }

 private:
  std::string op_;
  std::vector<float> scaled_;
};

class ResidualStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spec_.layers = 3;
    testing::write_tiny_model(dir_.path(), spec_, testing::tiny_text_tensors(spec_));
  }
  TempDir dir_;
  TinyTextSpec spec_;
};

TEST_F(ResidualStreamTest, ResumingAtEveryLayerIsBitIdenticalToAFullRun) {
  const auto model = Qwen25VL::load(dir_.path(), {false, 2});
  PaddedTextBatch batch;
  const ModelInputs in = batch.inputs();
  const TokenLoss full_loss = model.token_loss(in, batch.labels);
  const std::vector<float> full_hidden = model.final_hidden_states(in);
  for (int64_t layer = 0; layer <= spec_.layers; ++layer) {
    const ResidualStream stream = model.residual_stream(in, layer);
    EXPECT_EQ(stream.layer, layer);
    const TokenLoss resumed = model.token_loss(in, batch.labels, nullptr, &stream);
    EXPECT_EQ(resumed.nll, full_loss.nll) << "layer " << layer;
    EXPECT_EQ(resumed.scored, full_loss.scored) << "layer " << layer;
    EXPECT_EQ(model.final_hidden_states(in, nullptr, &stream), full_hidden) << "layer " << layer;
  }
}

TEST_F(ResidualStreamTest, AdvancingLayerByLayerEqualsComputingFromScratch) {
  const auto model = Qwen25VL::load(dir_.path(), {false, 2});
  PaddedTextBatch batch;
  const ModelInputs in = batch.inputs();
  ResidualStream walked = model.residual_stream(in, 0);
  for (int64_t layer = 1; layer <= spec_.layers; ++layer) {
    model.advance(in, walked, layer);
    EXPECT_EQ(walked.layer, layer);
    EXPECT_EQ(walked.values, model.residual_stream(in, layer).values) << "layer " << layer;
  }
  // A layer changes the stream (the test would pass vacuously on an identity model otherwise).
  EXPECT_NE(model.residual_stream(in, 0).values, model.residual_stream(in, 1).values);
}

TEST_F(ResidualStreamTest, AnOpQuantizedAtItsOwnLayerGivesTheFullRunsResult) {
  const auto model = Qwen25VL::load(dir_.path(), {false, 2});
  PaddedTextBatch batch;
  const ModelInputs in = batch.inputs();
  for (const LinearOp& op : model.linear_ops()) {
    const int64_t layer = op.layer >= 0 ? op.layer : spec_.layers;  // lm_head: after the last layer
    ScaleOneOp full_hook(op.name), resumed_hook(op.name);
    const TokenLoss full = model.token_loss(in, batch.labels, &full_hook);
    const ResidualStream stream = model.residual_stream(in, layer);
    const TokenLoss resumed = model.token_loss(in, batch.labels, &resumed_hook, &stream);
    EXPECT_EQ(resumed.nll, full.nll) << op.name;
    EXPECT_NE(full.nll, model.token_loss(in, batch.labels).nll) << op.name << " had no effect";
    // The resumed run never shows the skipped ops to the interceptor.
    for (const std::string& name : resumed_hook.seen) {
      const bool later =
          name == "lm_head" || std::stoi(name.substr(std::string("model.layers.").size())) >= layer;
      EXPECT_TRUE(later) << name << " ran although the stream starts at layer " << layer;
    }
    EXPECT_EQ(resumed_hook.seen.size(), full_hook.seen.size() - size_t(7 * layer))
        << op.name;  // 7 ops a layer
  }
}

TEST_F(ResidualStreamTest, MisuseIsAnErrorNotACrash) {
  const auto model = Qwen25VL::load(dir_.path(), {false, 1});
  PaddedTextBatch batch;
  const ModelInputs in = batch.inputs();
  ResidualStream stream = model.residual_stream(in, 2);
  EXPECT_THROW(model.advance(in, stream, 1), vlq::Error);                 // backwards
  EXPECT_THROW(model.advance(in, stream, spec_.layers + 1), vlq::Error);  // past the end
  EXPECT_THROW(model.residual_stream(in, -1), vlq::Error);
  PaddedTextBatch shorter;
  shorter.B = 1;
  shorter.ids.resize(7);
  shorter.mask.resize(7);
  shorter.labels.resize(7);
  EXPECT_THROW(model.token_loss(shorter.inputs(), shorter.labels, nullptr, &stream),
               vlq::Error);  // other inputs
}

}  // namespace
}  // namespace vlq::model
