// The random demo checkpoint: deterministic bytes, loads back through vlq's own checkpoint and
// model loaders with the spec's sizes, HF-style initialisation, all-or-nothing directory writes.
// (That transformers loads it and agrees with vlq's forward is tests/python/test_demo_model.py.)
#include "vlq/model/random_checkpoint.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <set>

#include "synthetic_checkpoint.hpp"
#include "vlq/core/error.hpp"
#include "vlq/core/file_io.hpp"
#include "vlq/model/checkpoint.hpp"
#include "vlq/model/config.hpp"
#include "vlq/model/qwen2_5_vl.hpp"

namespace vlq::model {
namespace {

using testing::TempDir;

// A narrower model keeps the sanitizer build fast. The vocabulary stays real-sized: the config's
// special-token ids (image 151655, ...) must be inside it.
RandomCheckpointSpec small_spec() {
  RandomCheckpointSpec s;
  s.hidden_size = 16;
  s.num_attention_heads = 2;
  s.num_key_value_heads = 1;
  s.intermediate_size = 24;
  s.mrope_section = {2, 1, 1};
  return s;
}

std::set<std::string> entries(const std::filesystem::path& dir) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

TEST(RandomCheckpoint, SameSeedGivesByteIdenticalFilesAndOtherSeedsDiffer) {
  TempDir tmp;
  const RandomCheckpointSpec spec = small_spec();
  write_random_checkpoint(tmp.path() / "a", spec);
  write_random_checkpoint(tmp.path() / "b", spec);
  RandomCheckpointSpec other = spec;
  other.seed = 1;
  write_random_checkpoint(tmp.path() / "c", other);
  EXPECT_EQ(entries(tmp.path()), (std::set<std::string>{"a", "b", "c"}));  // no temp leftovers
  for (const char* f : {"config.json", "model.safetensors"})
    EXPECT_EQ(read_file(tmp.path() / "a" / f), read_file(tmp.path() / "b" / f)) << f;
  EXPECT_EQ(read_file(tmp.path() / "a" / "config.json"), read_file(tmp.path() / "c" / "config.json"));
  EXPECT_NE(read_file(tmp.path() / "a" / "model.safetensors"), read_file(tmp.path() / "c" / "model.safetensors"));
}

TEST(RandomCheckpoint, LoadsBackWithTheSpecsSizesAndHfInitialisation) {
  TempDir tmp;
  RandomCheckpointSpec spec = small_spec();
  spec.dtype = DType::kF32;  // exact values to check the init statistics on
  const auto dir = tmp.path() / "m";
  write_random_checkpoint(dir, spec);

  const ModelConfig c = load_config(dir);
  EXPECT_EQ(c.text.hidden_size, spec.hidden_size);
  EXPECT_EQ(c.text.intermediate_size, spec.intermediate_size);
  EXPECT_EQ(c.text.num_hidden_layers, spec.num_hidden_layers);
  EXPECT_EQ(c.text.num_attention_heads, spec.num_attention_heads);
  EXPECT_EQ(c.text.num_key_value_heads, spec.num_key_value_heads);
  EXPECT_EQ(c.text.vocab_size, spec.vocab_size);
  EXPECT_EQ(c.text.mrope_section, spec.mrope_section);
  EXPECT_TRUE(c.text.tie_word_embeddings);
  EXPECT_EQ(c.text.image_token_id, 151655);
  EXPECT_EQ(c.vision.depth, spec.vision_depth);
  EXPECT_EQ(c.vision.hidden_size, spec.vision_hidden_size);
  EXPECT_EQ(c.vision.out_hidden_size, spec.hidden_size);
  EXPECT_EQ(c.vision.fullatt_block_indexes, spec.fullatt_block_indexes);

  const Checkpoint ckpt = Checkpoint::open(dir);
  std::vector<std::string> expected;
  for (const auto& t : random_checkpoint_tensors(spec)) {
    expected.push_back(t.name);
    EXPECT_EQ(ckpt.shape(t.name), t.shape) << t.name;
    EXPECT_EQ(ckpt.dtype(t.name), DType::kF32) << t.name;
  }
  EXPECT_EQ(ckpt.names(), expected);
  EXPECT_FALSE(ckpt.contains("lm_head.weight"));  // tied, like HF's save_pretrained

  for (float v : ckpt.load_f32("model.layers.1.post_attention_layernorm.weight")) EXPECT_EQ(v, 1.0f);
  for (float v : ckpt.load_f32("visual.blocks.0.attn.qkv.bias")) EXPECT_EQ(v, 0.0f);
  // 2.4M draws of N(0, 0.02): the sample mean is within 4 standard errors of 0 and the sample
  // std within 1% of 0.02 (its relative standard error is 1/sqrt(2n) ≈ 0.05%).
  const std::vector<float> e = ckpt.load_f32("model.embed_tokens.weight");
  double sum = 0, sq = 0;
  for (float v : e) sum += v, sq += double(v) * v;
  const double n = double(e.size()), mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
  EXPECT_LT(std::abs(mean), 4 * 0.02 / std::sqrt(n));
  EXPECT_NEAR(sd, 0.02, 0.02 * 0.01);

  // The model loader validates every shape against the config, and every Linear is an op.
  const Qwen25VL model = Qwen25VL::load(dir);
  const auto ops = model.linear_ops();
  const size_t lm_ops = 7 * spec.num_hidden_layers + 1, vision_ops = 5 * spec.vision_depth + 3;
  EXPECT_EQ(ops.size(), lm_ops + vision_ops);
  const std::vector<int64_t> ids{1, 2, 3, 151643, 151655 - 1, 151935};
  ModelInputs in;
  in.batch_size = 1;
  in.seq_len = 6;
  in.input_ids = ids;
  const std::vector<float> logits = model.forward(in);
  ASSERT_EQ(logits.size(), size_t(6 * spec.vocab_size));
  for (float v : logits) ASSERT_TRUE(std::isfinite(v));
}

TEST(RandomCheckpoint, DemoSpecHasTheRealVocabAndBf16Weights) {
  TempDir tmp;
  const RandomCheckpointSpec spec;  // what `vlq demo` generates
  write_random_checkpoint(tmp.path() / "m", spec);
  const Checkpoint ckpt = Checkpoint::open(tmp.path() / "m");
  EXPECT_EQ(ckpt.shape("model.embed_tokens.weight"), (std::vector<int64_t>{151936, spec.hidden_size}));
  EXPECT_EQ(ckpt.dtype("model.embed_tokens.weight"), DType::kBF16);
  EXPECT_EQ(load_config(tmp.path() / "m").text.vocab_size, 151936);
}

TEST(RandomCheckpoint, KeepsTheBaseConfigsTokenIdsAndCopiesCompanions) {
  const char* root = std::getenv("VLQ_DATA_ROOT");
  const std::filesystem::path model_dir =
      std::filesystem::path(root ? root : VLQ_SOURCE_DIR "/../shared/data") / "qwen2_5_vl_3b_instruct";
  if (!std::filesystem::exists(model_dir / "config.json")) GTEST_SKIP() << "no shared data at " << model_dir;
  TempDir tmp;
  const Json base = read_json_file(model_dir / "config.json");
  const std::vector<std::filesystem::path> companions{model_dir / "vocab.json", model_dir / "chat_template.json"};
  const Json written = write_random_checkpoint(tmp.path() / "m", small_spec(), base, companions);
  EXPECT_EQ(read_json_file(tmp.path() / "m" / "config.json"), written);
  for (const char* key : {"bos_token_id", "eos_token_id", "image_token_id", "video_token_id",
                          "vision_start_token_id", "vision_end_token_id", "rope_theta", "rms_norm_eps"})
    EXPECT_EQ(written.at(key), base.at(key)) << key;
  EXPECT_EQ(written["vision_config"]["window_size"], base["vision_config"]["window_size"]);
  for (const auto& f : companions) EXPECT_EQ(read_file(tmp.path() / "m" / f.filename()), read_file(f));
}

TEST(RandomCheckpoint, FailuresLeaveNoDirectoryBehind) {
  TempDir tmp;
  const std::vector<std::filesystem::path> missing{tmp.path() / "no-such-tokenizer.json"};
  EXPECT_THROW(write_random_checkpoint(tmp.path() / "m", small_spec(), Json::object(), missing), Error);
  EXPECT_TRUE(entries(tmp.path()).empty());

  write_random_checkpoint(tmp.path() / "m", small_spec());
  const std::string before = read_file(tmp.path() / "m" / "model.safetensors");
  RandomCheckpointSpec other = small_spec();
  other.seed = 7;
  EXPECT_THROW(write_random_checkpoint(tmp.path() / "m", other), Error);  // never overwrites
  EXPECT_EQ(read_file(tmp.path() / "m" / "model.safetensors"), before);
  EXPECT_EQ(entries(tmp.path()), std::set<std::string>{"m"});

  RandomCheckpointSpec bad = small_spec();
  bad.mrope_section = {1, 1, 1};  // sums to 3, head_dim / 2 is 4
  EXPECT_THROW(write_random_checkpoint(tmp.path() / "x", bad), Error);
  RandomCheckpointSpec tiny_vocab = small_spec();
  tiny_vocab.vocab_size = 1024;  // below the image token id 151655
  EXPECT_THROW(write_random_checkpoint(tmp.path() / "x", tiny_vocab), Error);
  EXPECT_EQ(entries(tmp.path()), std::set<std::string>{"m"});
}

}  // namespace
}  // namespace vlq::model
