// Qwen25VL on synthetic text-only checkpoints written at test time. Numerical parity with
// transformers lives in tests/python/test_model_parity.py; these tests pin the contracts that
// Python cannot see: the LinearInterceptor protocol (names, order, row flags, weight
// replacement), dtype handling, and load-time validation errors.
#include <gtest/gtest.h>

#include <cmath>

#include "synthetic_checkpoint.hpp"
#include "vlq/core/error.hpp"
#include "vlq/model/qwen2_5_vl.hpp"

namespace vlq::model {
namespace {

using testing::TempDir;
using testing::TinyTextSpec;

using Batch = testing::PaddedTextBatch;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const vlq::Error& e) {
    return e.what();
  }
  return "<no error>";
}

class Recorder : public LinearInterceptor {
 public:
  std::vector<std::string> before_names, after_names;
  std::vector<std::vector<uint8_t>> flags;
  void before(const LinearOp& op, ActivationView in) override {
    before_names.push_back(op.name);
    flags.emplace_back(in.row_is_real.begin(), in.row_is_real.end());
    EXPECT_EQ(in.features, op.in_features);
    EXPECT_EQ(static_cast<int64_t>(in.values.size()), in.rows * in.features);
  }
  void after(const LinearOp& op, ActivationView out) override {
    after_names.push_back(op.name);
    EXPECT_EQ(out.features, op.out_features);
  }
};

TEST(Forward, InterceptorSeesEveryOpInOrderWithPaddingFlags) {
  TempDir tmp;
  TinyTextSpec spec;
  testing::write_tiny_model(tmp.path(), spec, testing::tiny_text_tensors(spec));
  const auto model = Qwen25VL::load(tmp.path(), {false, 1});
  Batch batch;
  const auto plain = model.forward(batch.inputs());
  Recorder rec;
  const auto hooked = model.forward(batch.inputs(), &rec);
  EXPECT_EQ(plain, hooked);  // observing changes nothing, bit for bit

  std::vector<std::string> expected;
  for (const auto& op : model.linear_ops()) expected.push_back(op.name);
  ASSERT_EQ(expected.size(), size_t(spec.layers * 7 + 1));
  EXPECT_EQ(expected.front(), "model.layers.0.self_attn.q_proj");
  EXPECT_EQ(expected[6], "model.layers.0.mlp.down_proj");
  EXPECT_EQ(expected.back(), "lm_head");
  EXPECT_EQ(rec.before_names, expected);
  EXPECT_EQ(rec.after_names, expected);
  const std::vector<uint8_t> want_flags(batch.mask.begin(), batch.mask.end());
  for (const auto& f : rec.flags) EXPECT_EQ(f, want_flags);
}

// Replacing a weight through the hook equals a checkpoint that stores the replaced weight.
class DoubleOneWeight : public LinearInterceptor {
 public:
  std::vector<float> replaced;
  std::span<const float> weight(const LinearOp& op, std::span<const float> w) override {
    if (op.name != "model.layers.1.mlp.up_proj") return w;
    replaced.assign(w.begin(), w.end());
    for (auto& x : replaced) x *= 2.0f;
    return replaced;
  }
};

TEST(Forward, WeightReplacementMatchesEditedCheckpoint) {
  TinyTextSpec spec;
  auto tensors = testing::tiny_text_tensors(spec);
  TempDir original, edited;
  testing::write_tiny_model(original.path(), spec, tensors);
  auto& up = tensors["model.layers.1.mlp.up_proj.weight"].bytes;
  for (size_t i = 0; i < up.size(); i += 4) {
    float x;
    std::memcpy(&x, &up[i], 4);
    x *= 2.0f;
    std::memcpy(&up[i], &x, 4);
  }
  testing::write_tiny_model(edited.path(), spec, tensors);
  Batch batch;
  DoubleOneWeight hook;
  const auto via_hook = Qwen25VL::load(original.path(), {false, 1}).forward(batch.inputs(), &hook);
  const auto via_file = Qwen25VL::load(edited.path(), {false, 1}).forward(batch.inputs());
  const auto untouched = Qwen25VL::load(original.path(), {false, 1}).forward(batch.inputs());
  EXPECT_EQ(via_hook, via_file);
  EXPECT_NE(via_hook, untouched);
}

TEST(Forward, Bf16CheckpointEqualsF32CheckpointOfTheSameValues) {
  TinyTextSpec bf16_spec;
  bf16_spec.dtype = "BF16";
  bf16_spec.tie = false;
  auto bf16 = testing::tiny_text_tensors(bf16_spec, 3);
  // The same values widened to F32 on disk.
  auto f32 = bf16;
  for (auto& [name, t] : f32) {
    std::vector<float> v(t.bytes.size() / 2);
    for (size_t i = 0; i < v.size(); ++i) {
      uint16_t bits;
      std::memcpy(&bits, &t.bytes[2 * i], 2);
      v[i] = bf16_to_f32(bits);
    }
    t = testing::RawTensor{"F32", t.shape, testing::f32_bytes(v)};
  }
  TempDir a, b;
  testing::write_tiny_model(a.path(), bf16_spec, bf16);
  TinyTextSpec f32_spec = bf16_spec;
  f32_spec.dtype = "F32";
  testing::write_tiny_model(b.path(), f32_spec, f32);
  Batch batch;
  const auto from_bf16 = Qwen25VL::load(a.path(), {false, 1}).forward(batch.inputs());
  const auto from_f32 = Qwen25VL::load(b.path(), {true, 1}).forward(batch.inputs());  // cached path too
  EXPECT_EQ(from_bf16, from_f32);
}

TEST(Forward, TokenLossAgreesWithLogSoftmaxOfForwardLogits) {
  TempDir tmp;
  TinyTextSpec spec;
  testing::write_tiny_model(tmp.path(), spec, testing::tiny_text_tensors(spec));
  const auto model = Qwen25VL::load(tmp.path(), {false, 1});
  Batch batch;
  std::vector<int64_t> labels = batch.ids;
  for (size_t i = 0; i < labels.size(); ++i)
    if (!batch.mask[i]) labels[i] = -100;
  labels[2] = -100;  // an ignored target inside a row
  const auto logits = model.forward(batch.inputs());
  const auto loss = model.token_loss(batch.inputs(), labels);
  const int64_t V = spec.vocab;
  int scored = 0;
  for (int64_t b = 0; b < batch.B; ++b)
    for (int64_t t = 0; t < batch.L; ++t) {
      const size_t at = size_t(b * batch.L + t);
      const bool expect = t + 1 < batch.L && labels[at + 1] != -100;
      ASSERT_EQ(loss.scored[at], expect) << b << "," << t;
      if (!expect) {
        EXPECT_EQ(loss.nll[at], 0.0);
        continue;
      }
      ++scored;
      const float* z = logits.data() + at * size_t(V);
      double m = z[0], s = 0;
      for (int64_t j = 0; j < V; ++j) m = std::max(m, double(z[j]));
      for (int64_t j = 0; j < V; ++j) s += std::exp(double(z[j]) - m);
      // lm_head on the gathered rows may block the sgemm differently: a few fp32 ulps.
      EXPECT_NEAR(loss.nll[at], m + std::log(s) - z[labels[at + 1]], 1e-5);
    }
  EXPECT_EQ(scored, 6 + 3 - 1);
}

TEST(Forward, LoadValidatesShapesAndPresence) {
  TinyTextSpec spec;
  auto tensors = testing::tiny_text_tensors(spec);
  tensors["model.layers.1.self_attn.k_proj.weight"].shape = {4, 32};  // same bytes, wrong shape
  TempDir tmp;
  testing::write_tiny_model(tmp.path(), spec, tensors);
  EXPECT_NE(error_of([&] { Qwen25VL::load(tmp.path()); })
                .find("tensor 'model.layers.1.self_attn.k_proj.weight': expected shape [8, 16] from "
                      "config.json, found [4, 32]"),
            std::string::npos);

  tensors = testing::tiny_text_tensors(spec);
  tensors.erase("model.layers.0.mlp.down_proj.weight");
  TempDir tmp2;
  testing::write_tiny_model(tmp2.path(), spec, tensors);
  EXPECT_NE(error_of([&] { Qwen25VL::load(tmp2.path()); }).find("missing tensor 'model.layers.0.mlp.down_proj.weight'"),
            std::string::npos);

  TinyTextSpec untied = spec;
  untied.tie = false;
  tensors = testing::tiny_text_tensors(spec);  // tied tensors, untied config: no lm_head
  TempDir tmp3;
  testing::write_tiny_model(tmp3.path(), untied, tensors);
  EXPECT_NE(error_of([&] { Qwen25VL::load(tmp3.path()); }).find("missing tensor 'lm_head.weight'"), std::string::npos);
}

TEST(Forward, BadInputsAreErrors) {
  TempDir tmp;
  TinyTextSpec spec;
  testing::write_tiny_model(tmp.path(), spec, testing::tiny_text_tensors(spec));
  const auto model = Qwen25VL::load(tmp.path(), {false, 1});
  Batch batch;
  batch.ids[3] = spec.vocab;  // out of vocabulary
  EXPECT_NE(error_of([&] { model.forward(batch.inputs()); }).find("token id 64 is outside the vocabulary"),
            std::string::npos);
  Batch with_image;
  with_image.ids[2] = spec.vocab - 1;  // the config's image token, but no features given
  EXPECT_NE(error_of([&] { model.forward(with_image.inputs()); }).find("1 <|image_pad|> tokens"), std::string::npos);
  std::vector<float> features(2 * size_t(spec.hidden), 0.5f);  // two rows for one token
  ModelInputs in = with_image.inputs();
  in.image_features = features;
  EXPECT_NE(error_of([&] { model.forward(in); }).find("give 2 feature rows"), std::string::npos);
  Batch bad_mask;
  bad_mask.mask[0] = 2;
  EXPECT_NE(error_of([&] { model.forward(bad_mask.inputs()); }).find("attention_mask"), std::string::npos);
  ModelInputs short_ids = batch.inputs();
  short_ids.input_ids = short_ids.input_ids.subspan(1);
  EXPECT_NE(error_of([&] { model.forward(short_ids); }).find("input_ids: 13 values"), std::string::npos);
}

TEST(Forward, ImageFeaturesReplaceImageTokenEmbeddings) {
  TempDir tmp;
  TinyTextSpec spec;
  testing::write_tiny_model(tmp.path(), spec, testing::tiny_text_tensors(spec));
  const auto model = Qwen25VL::load(tmp.path(), {false, 1});
  Batch batch;
  batch.ids[9] = spec.vocab - 1;  // row 1, position 2 is an image token
  std::vector<int64_t> pos = text_position_ids(batch.B, batch.L, batch.mask);
  ModelInputs in = batch.inputs();
  in.position_ids = pos;
  std::vector<float> features(size_t(spec.hidden));
  for (size_t i = 0; i < features.size(); ++i) features[i] = std::sin(float(i));
  in.image_features = features;
  const auto hidden = model.final_hidden_states(in);
  // Row 0 does not contain the image token and is unaffected; row 1 from position 2 on changes
  // relative to a run where the token keeps its own embedding.
  ModelInputs plain_in = batch.inputs();
  plain_in.position_ids = pos;
  std::vector<float> own(size_t(spec.hidden));
  // The token's own embedding, passed as "features", must reproduce the no-splice result.
  const auto ckpt_row = model.checkpoint().load_f32("model.embed_tokens.weight");
  std::copy_n(ckpt_row.begin() + (spec.vocab - 1) * spec.hidden, spec.hidden, own.begin());
  plain_in.image_features = own;
  const auto baseline = model.final_hidden_states(plain_in);
  const size_t H = size_t(spec.hidden);
  for (size_t r = 0; r < size_t(batch.B * batch.L); ++r) {
    const bool affected = r >= 9 && r < 14 && batch.mask[r];
    const float d = std::abs(hidden[r * H] - baseline[r * H]) + std::abs(hidden[r * H + 1] - baseline[r * H + 1]);
    if (affected) {
      EXPECT_GT(d, 1e-6f) << r;
    }
    if (r < 9) {
      EXPECT_EQ(d, 0.0f) << r;
    }
  }
}

}  // namespace
}  // namespace vlq::model
