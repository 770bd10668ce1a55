// VisionTower on a small random checkpoint written by the test itself. Numerical parity with
// transformers is tested in tests/python/test_vision_tower_parity.py (the oracle is the real HF
// model there); these tests cover what needs no oracle and must also hold under ASan/UBSan:
// input and checkpoint errors, the interceptor contract (names, order, weight replacement) and
// that images do not interact (block-diagonal attention).
#include "vlq/model/vision_tower.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "vlq/core/error.hpp"
#include "vlq/core/json.hpp"

namespace vlq::model {
namespace {

namespace fs = std::filesystem;

VisionConfig small_config() {
  VisionConfig c;
  c.depth = 2;
  c.hidden_size = 16;
  c.num_heads = 2;  // head_dim 8
  c.intermediate_size = 24;
  c.out_hidden_size = 12;
  c.fullatt_block_indexes = {1};
  return c;
}

// Every tensor the tower reads, with its shape.
std::map<std::string, std::vector<int64_t>> vision_shapes(const VisionConfig& c) {
  const int64_t h = c.hidden_size, m = h * 4;
  std::map<std::string, std::vector<int64_t>> s;
  s["visual.patch_embed.proj.weight"] = {h, 3, 2, 14, 14};
  for (int64_t i = 0; i < c.depth; ++i) {
    const std::string p = "visual.blocks." + std::to_string(i) + ".";
    s[p + "norm1.weight"] = {h};
    s[p + "norm2.weight"] = {h};
    s[p + "attn.qkv.weight"] = {3 * h, h};
    s[p + "attn.qkv.bias"] = {3 * h};
    s[p + "attn.proj.weight"] = {h, h};
    s[p + "attn.proj.bias"] = {h};
    for (const char* n : {"gate_proj", "up_proj"}) {
      s[p + "mlp." + n + ".weight"] = {c.intermediate_size, h};
      s[p + "mlp." + n + ".bias"] = {c.intermediate_size};
    }
    s[p + "mlp.down_proj.weight"] = {h, c.intermediate_size};
    s[p + "mlp.down_proj.bias"] = {h};
  }
  s["visual.merger.ln_q.weight"] = {h};
  s["visual.merger.mlp.0.weight"] = {m, m};
  s["visual.merger.mlp.0.bias"] = {m};
  s["visual.merger.mlp.2.weight"] = {c.out_hidden_size, m};
  s["visual.merger.mlp.2.bias"] = {c.out_hidden_size};
  return s;
}

// Writes <dir>/model.safetensors (F32, random values; norms around 1) and returns dir.
fs::path write_checkpoint(const std::string& name,
                          std::map<std::string, std::vector<int64_t>> shapes) {
  // Unique per process: ctest runs each test case as its own process, possibly in parallel.
  const fs::path dir = fs::temp_directory_path() /
                       ("vlq_vision_tower_test_" + name + "_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Json header = Json::object();
  std::vector<float> data;
  for (const auto& [tensor, shape] : shapes) {
    int64_t numel = 1;
    for (int64_t d : shape) numel *= d;
    const int64_t fan_in = shape.size() > 1 ? numel / shape[0] : 1;
    const bool norm = tensor.find("norm") != std::string::npos || tensor.find("ln_q") != std::string::npos;
    const size_t begin = data.size() * sizeof(float);
    for (int64_t i = 0; i < numel; ++i) {
      const float v = normal(rng);
      data.push_back(norm ? 1.0f + 0.1f * v : v / std::sqrt(static_cast<float>(fan_in)));
    }
    header[tensor] = {{"dtype", "F32"},
                      {"shape", shape},
                      {"data_offsets", {begin, data.size() * sizeof(float)}}};
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text += ' ';
  std::ofstream out(dir / "model.safetensors", std::ios::binary | std::ios::trunc);
  const uint64_t len = text.size();
  out.write(reinterpret_cast<const char*>(&len), sizeof len);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.write(reinterpret_cast<const char*>(data.data()),
            static_cast<std::streamsize>(data.size() * sizeof(float)));
  return dir;
}

std::vector<float> random_pixels(int64_t rows, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> px(static_cast<size_t>(rows * 1176));
  for (auto& v : px) v = normal(rng);
  return px;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

class VisionTowerTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = write_checkpoint("ok", vision_shapes(small_config())); }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(VisionTowerTest, OutputShapeAndImagesDoNotInteract) {
  const Checkpoint ckpt = Checkpoint::open(dir_);
  const VisionTower tower(ckpt, small_config());
  // Image A: merged 5×3 (window padding), image B: merged 2×2.
  const std::vector<int64_t> grid_a{1, 10, 6}, grid_b{1, 4, 4}, grid_ab{1, 10, 6, 1, 4, 4};
  const auto px_a = random_pixels(60, 1), px_b = random_pixels(16, 2);
  std::vector<float> px_ab = px_a;
  px_ab.insert(px_ab.end(), px_b.begin(), px_b.end());
  const auto out_a = tower.encode(px_a, grid_a);
  const auto out_b = tower.encode(px_b, grid_b);
  const auto out_ab = tower.encode(px_ab, grid_ab);
  ASSERT_EQ(out_ab.size(), (15u + 4u) * 12u);
  EXPECT_EQ(tower.output_rows(grid_ab), 19);
  // Attention is block-diagonal per window/image: encoding together equals encoding apart,
  // up to fp32 summation-order noise (different sgemm shapes).
  for (size_t i = 0; i < out_a.size(); ++i) EXPECT_NEAR(out_ab[i], out_a[i], 1e-5f) << i;
  for (size_t i = 0; i < out_b.size(); ++i) EXPECT_NEAR(out_ab[out_a.size() + i], out_b[i], 1e-5f);
  for (float v : out_ab) ASSERT_TRUE(std::isfinite(v));
  // The cached-weights path computes the same thing.
  const VisionTower cached(ckpt, small_config(), /*cache_f32_weights=*/true);
  EXPECT_EQ(cached.encode(px_ab, grid_ab), out_ab);
}

class Recorder : public LinearInterceptor {
 public:
  void before(const LinearOp& op, ActivationView in) override {
    names.push_back(op.name);
    EXPECT_EQ(op.tower, Tower::kVision);
    EXPECT_EQ(in.features, op.in_features);
    EXPECT_EQ(static_cast<int64_t>(in.values.size()), in.rows * in.features);
    EXPECT_TRUE(in.row_is_real.empty());
  }
  std::span<const float> weight(const LinearOp& op, std::span<const float> w) override {
    if (op.name != "visual.merger.mlp.2") return w;
    zeros.assign(w.size(), 0.0f);  // replace the last Linear's weight: output becomes its bias
    return zeros;
  }
  std::vector<std::string> names;
  std::vector<float> zeros;
};

TEST_F(VisionTowerTest, InterceptorSeesEveryLinearInOrderAndItsWeightIsUsed) {
  const Checkpoint ckpt = Checkpoint::open(dir_);
  const VisionTower tower(ckpt, small_config());
  Recorder rec;
  const std::vector<int64_t> grid{1, 4, 4};
  const auto out = tower.encode(random_pixels(16, 3), grid, &rec);
  std::vector<std::string> expected{"visual.patch_embed.proj"};
  for (int i = 0; i < 2; ++i) {
    const std::string p = "visual.blocks." + std::to_string(i) + ".";
    for (const char* n : {"attn.qkv", "attn.proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"})
      expected.push_back(p + n);
  }
  expected.push_back("visual.merger.mlp.0");
  expected.push_back("visual.merger.mlp.2");
  EXPECT_EQ(rec.names, expected);
  std::vector<std::string> listed;
  for (const auto& op : tower.linear_ops()) listed.push_back(op.name);
  EXPECT_EQ(listed, expected);
  const auto bias = ckpt.load_f32("visual.merger.mlp.2.bias");
  ASSERT_EQ(out.size(), 4 * bias.size());
  for (size_t r = 0; r < 4; ++r)
    for (size_t i = 0; i < bias.size(); ++i) EXPECT_EQ(out[r * bias.size() + i], bias[i]);
}

TEST_F(VisionTowerTest, BadInputsAreOneLineErrors) {
  const Checkpoint ckpt = Checkpoint::open(dir_);
  const VisionTower tower(ckpt, small_config());
  const std::vector<int64_t> grid{1, 4, 4};
  const auto px = random_pixels(16, 4);
  EXPECT_EQ(error_of([&] { tower.encode(std::span(px).first(15 * 1176), grid); }),
            "pixel_values: 15 rows, but image_grid_thw describes 16 (sum of t·h·w)");
  EXPECT_EQ(error_of([&] { tower.encode(std::span(px).first(1000), grid); }),
            "pixel_values: 1000 values are not rows of 1176 columns "
            "(in_chans·temporal_patch_size·patch_size²)");
  EXPECT_EQ(error_of([&] { tower.encode(px, std::vector<int64_t>{1, 4, 5}); }),
            "image_grid_thw: image 0: grid h 4 and w 5 must be divisible by spatial_merge_size 2");
  EXPECT_EQ(error_of([&] { tower.encode(px, std::vector<int64_t>{1, 4}); }),
            "image_grid_thw: expected [n, 3] (t, h, w) rows with n >= 1, got 2 values");
}

TEST(VisionTowerCheckpoint, WrongShapeOrMissingTensorFailsAtConstruction) {
  auto shapes = vision_shapes(small_config());
  shapes["visual.blocks.1.attn.qkv.weight"] = {48, 15};
  const fs::path bad = write_checkpoint("bad_shape", shapes);
  {
    const Checkpoint ckpt = Checkpoint::open(bad);
    const std::string msg = error_of([&] { VisionTower t(ckpt, small_config()); });
    EXPECT_NE(msg.find("tensor 'visual.blocks.1.attn.qkv.weight': expected shape [48, 16]"),
              std::string::npos)
        << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos);
  }
  shapes = vision_shapes(small_config());
  shapes.erase("visual.merger.ln_q.weight");
  const fs::path missing = write_checkpoint("missing", shapes);
  {
    const Checkpoint ckpt = Checkpoint::open(missing);
    EXPECT_NE(error_of([&] { VisionTower t(ckpt, small_config()); })
                  .find("missing tensor 'visual.merger.ln_q.weight'"),
              std::string::npos);
    VisionConfig odd = small_config();
    odd.num_heads = 8;  // head_dim 2: the 2-D rotary table needs head_dim % 4 == 0
    EXPECT_NE(error_of([&] { VisionTower t(ckpt, odd); }).find("divisible by 4"), std::string::npos);
  }
  fs::remove_all(bad);
  fs::remove_all(missing);
}

}  // namespace
}  // namespace vlq::model
