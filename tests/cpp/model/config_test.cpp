// config.json parsing: the real 3B flat layout, the nested 4.57 layout, and one-line errors that
// name the file and key for invalid values.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "synthetic_checkpoint.hpp"
#include "vlq/core/error.hpp"
#include "vlq/model/config.hpp"

namespace vlq::model {
namespace {

std::filesystem::path data_root() {
  if (const char* env = std::getenv("VLQ_DATA_ROOT"); env && *env) return env;
  return std::filesystem::path(VLQ_SOURCE_DIR) / ".." / "shared" / "data";
}

std::string error_of(const Json& j) {
  try {
    parse_config(j, "cfg/config.json");
  } catch (const vlq::Error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(Config, RealQwen25Vl3bFlatLayout) {
  const ModelConfig c = load_config(data_root() / "qwen2_5_vl_3b_instruct");
  EXPECT_EQ(c.text.hidden_size, 2048);
  EXPECT_EQ(c.text.intermediate_size, 11008);
  EXPECT_EQ(c.text.num_hidden_layers, 36);
  EXPECT_EQ(c.text.num_attention_heads, 16);
  EXPECT_EQ(c.text.num_key_value_heads, 2);
  EXPECT_EQ(c.text.head_dim, 128);
  EXPECT_EQ(c.text.vocab_size, 151936);
  EXPECT_TRUE(c.text.tie_word_embeddings);
  EXPECT_DOUBLE_EQ(c.text.rms_norm_eps, 1e-6);
  EXPECT_DOUBLE_EQ(c.text.rope_theta, 1e6);
  EXPECT_EQ(c.text.mrope_section, (std::array<int64_t, 3>{16, 24, 24}));
  EXPECT_EQ(c.text.image_token_id, 151655);
  EXPECT_EQ(c.text.vision_start_token_id, 151652);
  EXPECT_EQ(c.vision.depth, 32);
  EXPECT_EQ(c.vision.hidden_size, 1280);
  EXPECT_EQ(c.vision.num_heads, 16);
  EXPECT_EQ(c.vision.intermediate_size, 3420);
  EXPECT_EQ(c.vision.out_hidden_size, 2048);
  EXPECT_EQ(c.vision.window_size, 112);
  EXPECT_EQ(c.vision.fullatt_block_indexes, (std::vector<int64_t>{7, 15, 23, 31}));
  EXPECT_EQ(c.vision.patch_dim(), 1176);
}

// The layout transformers 4.57 save_pretrained writes (abridged from a real save).
Json nested() {
  return Json::parse(R"({
    "model_type": "qwen2_5_vl", "image_token_id": 151655, "hidden_size": 64,
    "rope_scaling": {"mrope_section": [2, 3, 3], "rope_type": "default", "type": "default"},
    "text_config": {"hidden_size": 72, "intermediate_size": 136, "num_hidden_layers": 3,
      "num_attention_heads": 6, "num_key_value_heads": 3, "rms_norm_eps": 1e-05,
      "rope_scaling": {"mrope_section": [2, 2, 2], "rope_type": "default", "type": "default"},
      "rope_theta": 1000000.0, "vocab_size": 151936, "hidden_act": "silu"},
    "tie_word_embeddings": true,
    "vision_config": {"depth": 3, "hidden_size": 48, "num_heads": 3, "intermediate_size": 72,
      "out_hidden_size": 72, "in_channels": 3, "fullatt_block_indexes": [2], "hidden_act": "silu"}
  })");
}

TEST(Config, NestedLayoutPrefersTextConfig) {
  const ModelConfig c = parse_config(nested(), "cfg/config.json");
  EXPECT_EQ(c.text.hidden_size, 72);  // text_config wins over the stale top-level 64
  EXPECT_EQ(c.text.head_dim, 12);
  EXPECT_EQ(c.text.mrope_section, (std::array<int64_t, 3>{2, 2, 2}));
  EXPECT_DOUBLE_EQ(c.text.rms_norm_eps, 1e-5);
  // HF reads tie_word_embeddings from text_config only; absent there → false.
  EXPECT_FALSE(c.text.tie_word_embeddings);
  EXPECT_EQ(c.vision.depth, 3);
  EXPECT_EQ(c.vision.in_chans, 3);
}

TEST(Config, InvalidValuesNameFileAndKey) {
  Json j = nested();
  j["text_config"]["num_attention_heads"] = 6.5;
  EXPECT_EQ(error_of(j), "cfg/config.json: text_config.num_attention_heads: must be an integer, found 6.5");
  j = nested();
  j["text_config"]["num_attention_heads"] = 5;
  EXPECT_EQ(error_of(j), "cfg/config.json: text_config.hidden_size: 72 is not divisible by num_attention_heads 5");
  j = nested();
  j["text_config"]["num_key_value_heads"] = 4;
  EXPECT_NE(error_of(j).find("text_config.num_key_value_heads: 4 does not divide"), std::string::npos);
  j = nested();
  j["text_config"]["rope_scaling"]["mrope_section"] = {2, 2, 3};
  EXPECT_EQ(error_of(j), "cfg/config.json: text_config.rope_scaling.mrope_section: sums to 7, expected head_dim/2 = 6");
  j = nested();
  j["text_config"].erase("vocab_size");
  EXPECT_EQ(error_of(j), "cfg/config.json: text_config.vocab_size: missing");
  j = nested();
  j["text_config"]["hidden_act"] = "gelu";
  EXPECT_NE(error_of(j).find("text_config.hidden_act: only 'silu'"), std::string::npos);
  j = nested();
  j["vision_config"]["fullatt_block_indexes"] = {5};
  EXPECT_NE(error_of(j).find("vision_config.fullatt_block_indexes"), std::string::npos);
  j = nested();
  j["text_config"]["rms_norm_eps"] = "small";
  EXPECT_NE(error_of(j).find("text_config.rms_norm_eps: must be a number"), std::string::npos);
  EXPECT_NE(error_of(Json::array()).find("must be a JSON object"), std::string::npos);
}

TEST(Config, FlatLayoutErrorsUseTopLevelKeys) {
  Json j = Json::parse(testing::tiny_config_json({}));
  j["num_hidden_layers"] = -1;
  EXPECT_EQ(error_of(j), "cfg/config.json: num_hidden_layers: must be positive, found -1");
}

TEST(Config, MissingFileIsOneLineError) {
  try {
    load_config("/nonexistent/dir/config.json");
    FAIL();
  } catch (const vlq::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/config.json"), std::string::npos);
  }
}

}  // namespace
}  // namespace vlq::model
