#include "vlq/model/vision_tower.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <string>
#include <string_view>

#include "vlq/core/error.hpp"
#include "vlq/model/kernels.hpp"
#include "vlq/model/linear.hpp"
#include "vlq/model/vision_rotary.hpp"

namespace vlq::model {
namespace {

// Qwen2RMSNorm(eps=1e-6) is hard-coded for every vision norm in modeling_qwen2_5_vl.py
// (config.rms_norm_eps is not consulted there).
constexpr float kVisionNormEps = 1e-6f;
constexpr double kVisionRopeTheta = 10000.0;

struct LinearSpec {
  LinearOp op;
  std::string weight;
  std::string bias;  // empty: no bias
};

struct BlockSpec {
  std::string norm1;
  std::string norm2;
  LinearSpec qkv, proj, gate, up, down;
};

LinearSpec make_linear(std::string name, int layer, std::string kind, int64_t in, int64_t out,
                       bool bias) {
  LinearSpec s;
  s.op.name = name;
  s.op.tower = Tower::kVision;
  s.op.layer = layer;
  s.op.kind = std::move(kind);
  s.op.in_features = in;
  s.op.out_features = out;
  s.op.has_bias = bias;
  s.weight = name + ".weight";
  if (bias) s.bias = name + ".bias";
  return s;
}

void add_inplace(std::span<float> x, std::span<const float> y) {
  for (size_t i = 0; i < x.size(); ++i) x[i] += y[i];
}

}  // namespace

struct VisionTower::Impl {
  const Checkpoint* checkpoint = nullptr;
  VisionConfig config;
  bool cache = false;
  LinearSpec patch_embed;
  std::vector<BlockSpec> blocks;
  std::string ln_q;
  LinearSpec merger0, merger2;
  std::map<std::string, std::vector<float>, std::less<>> cached;

  // Weights for one stage: views of the cache, or tensors widened now and freed with the scope.
  class Scope {
   public:
    explicit Scope(const Impl& impl) : impl_(impl) {}
    std::span<const float> operator()(std::string_view name) {
      if (name.empty()) return {};
      if (impl_.cache) return impl_.cached.find(name)->second;
      return loaded_.emplace_back(impl_.checkpoint->load_f32(name));
    }

   private:
    const Impl& impl_;
    std::deque<std::vector<float>> loaded_;  // deque: earlier spans stay valid on growth
  };

  std::vector<float> run(const LinearSpec& spec, Scope& w, std::span<float> x, int64_t rows,
                         LinearInterceptor* hooks) const {
    std::vector<float> y(static_cast<size_t>(rows * spec.op.out_features));
    run_linear(spec.op, x, rows, w(spec.weight), w(spec.bias), y, hooks);
    return y;
  }

  void block(const BlockSpec& b, std::vector<float>& x, int64_t n,
             std::span<const int32_t> cu_seqlens, const VisionRotaryTable& rope,
             LinearInterceptor* hooks) const;
};

int64_t vision_window_cells(const VisionConfig& c) {
  return c.window_size / c.spatial_merge_size / c.patch_size;
}

VisionTower::VisionTower(const Checkpoint& checkpoint, const VisionConfig& config,
                         bool cache_f32_weights)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.checkpoint = &checkpoint;
  m.config = config;
  m.cache = cache_f32_weights;
  const auto& c = config;
  const std::string origin = checkpoint.dir().string() + ": vision_config";
  if (c.depth <= 0 || c.hidden_size <= 0 || c.num_heads <= 0 || c.intermediate_size <= 0 ||
      c.out_hidden_size <= 0 || c.patch_size <= 0 || c.temporal_patch_size <= 0 ||
      c.spatial_merge_size <= 0 || c.in_chans <= 0) {
    throw Error(origin + ": sizes must be positive");
  }
  if (c.hidden_size % c.num_heads != 0 || c.head_dim() % 4 != 0) {
    throw Error(origin + ": hidden_size " + std::to_string(c.hidden_size) + " / num_heads " +
                std::to_string(c.num_heads) + " must give a head_dim divisible by 4 (2-D RoPE)");
  }
  if (vision_window_cells(c) <= 0) {
    throw Error(origin + ": window_size " + std::to_string(c.window_size) +
                " is smaller than one merged cell");
  }

  const int64_t h = c.hidden_size;
  const int64_t merged = h * c.spatial_merge_size * c.spatial_merge_size;
  m.patch_embed = make_linear("visual.patch_embed.proj", -1, "patch_embed", c.patch_dim(), h, false);
  for (int64_t i = 0; i < c.depth; ++i) {
    const std::string p = "visual.blocks." + std::to_string(i) + ".";
    const int layer = static_cast<int>(i);
    BlockSpec b;
    b.norm1 = p + "norm1.weight";
    b.norm2 = p + "norm2.weight";
    b.qkv = make_linear(p + "attn.qkv", layer, "qkv", h, 3 * h, true);
    b.proj = make_linear(p + "attn.proj", layer, "proj", h, h, true);
    b.gate = make_linear(p + "mlp.gate_proj", layer, "gate_proj", h, c.intermediate_size, true);
    b.up = make_linear(p + "mlp.up_proj", layer, "up_proj", h, c.intermediate_size, true);
    b.down = make_linear(p + "mlp.down_proj", layer, "down_proj", c.intermediate_size, h, true);
    m.blocks.push_back(std::move(b));
  }
  m.ln_q = "visual.merger.ln_q.weight";
  m.merger0 = make_linear("visual.merger.mlp.0", -1, "merger.mlp.0", merged, merged, true);
  m.merger2 = make_linear("visual.merger.mlp.2", -1, "merger.mlp.2", merged, c.out_hidden_size, true);

  // Validate every shape before any compute, so a mismatched checkpoint fails at load.
  std::vector<std::pair<std::string, std::vector<int64_t>>> expected;
  expected.push_back({m.patch_embed.weight,
                      {h, c.in_chans, c.temporal_patch_size, c.patch_size, c.patch_size}});
  auto add_linear = [&](const LinearSpec& s) {
    expected.push_back({s.weight, {s.op.out_features, s.op.in_features}});
    if (!s.bias.empty()) expected.push_back({s.bias, {s.op.out_features}});
  };
  for (const auto& b : m.blocks) {
    expected.push_back({b.norm1, {h}});
    expected.push_back({b.norm2, {h}});
    for (const auto* s : {&b.qkv, &b.proj, &b.gate, &b.up, &b.down}) add_linear(*s);
  }
  expected.push_back({m.ln_q, {h}});
  add_linear(m.merger0);
  add_linear(m.merger2);
  for (const auto& [name, shape] : expected) {
    checkpoint.expect_shape(name, shape);  // missing or wrong shape → one-line vlq::Error
    if (m.cache) m.cached.emplace(name, checkpoint.load_f32(name));
  }
}

VisionTower::VisionTower(VisionTower&&) noexcept = default;
VisionTower& VisionTower::operator=(VisionTower&&) noexcept = default;
VisionTower::~VisionTower() = default;

const VisionConfig& VisionTower::config() const { return impl_->config; }

int64_t VisionTower::output_rows(std::span<const int64_t> image_grid_thw) const {
  const auto& c = impl_->config;
  const auto grids = parse_vision_grids(image_grid_thw, c.spatial_merge_size);
  return total_patches(grids) / (c.spatial_merge_size * c.spatial_merge_size);
}

std::vector<LinearOp> VisionTower::linear_ops() const {
  std::vector<LinearOp> ops{impl_->patch_embed.op};
  for (const auto& b : impl_->blocks) {
    for (const auto* s : {&b.qkv, &b.proj, &b.gate, &b.up, &b.down}) ops.push_back(s->op);
  }
  ops.push_back(impl_->merger0.op);
  ops.push_back(impl_->merger2.op);
  return ops;
}

void VisionTower::Impl::block(const BlockSpec& b, std::vector<float>& x, int64_t n,
                              std::span<const int32_t> cu_seqlens, const VisionRotaryTable& rope,
                              LinearInterceptor* hooks) const {
  const int64_t h = config.hidden_size;
  const int64_t heads = config.num_heads;
  const int64_t hd = config.head_dim();
  Scope w(*this);

  // x += proj(Attn(RMSNorm1(x)))
  std::vector<float> normed(x.size());
  kernels::rms_norm(x, n, h, w(b.norm1), kVisionNormEps, normed);
  const std::vector<float> qkv = run(b.qkv, w, normed, n, hooks);
  // qkv rows are [3][heads][head_dim] (HF reshape(seq, 3, heads, -1)); split into q, k, v
  // [n, heads·head_dim] so each window is a contiguous row range.
  std::vector<float> q(x.size()), k(x.size()), v(x.size());
  for (int64_t r = 0; r < n; ++r) {
    const float* src = qkv.data() + r * 3 * h;
    std::copy(src, src + h, q.data() + r * h);
    std::copy(src + h, src + 2 * h, k.data() + r * h);
    std::copy(src + 2 * h, src + 3 * h, v.data() + r * h);
  }
  kernels::apply_rope(q, n, heads, hd, rope.cos, rope.sin);
  kernels::apply_rope(k, n, heads, hd, rope.cos, rope.sin);
  // Non-causal attention inside each [cu[s], cu[s+1]) segment only (block-diagonal), like HF's
  // per-chunk loop for non-flash backends. Scale head_dim^-0.5 as in Qwen2_5_VLVisionAttention.
  std::vector<float> attn(x.size());
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const kernels::AttentionMask mask{};  // non-causal, every key real
  for (size_t s = 0; s + 1 < cu_seqlens.size(); ++s) {
    const int64_t begin = cu_seqlens[s];
    const int64_t len = cu_seqlens[s + 1] - begin;
    const auto offset = static_cast<size_t>(begin * h);
    const auto count = static_cast<size_t>(len * h);
    kernels::attention(std::span<const float>(q).subspan(offset, count),
                       std::span<const float>(k).subspan(offset, count),
                       std::span<const float>(v).subspan(offset, count), len, len, heads, heads,
                       hd, scale, mask, std::span<float>(attn).subspan(offset, count));
  }
  add_inplace(x, run(b.proj, w, attn, n, hooks));

  // x += down(silu(gate(n2)) ⊙ up(n2))
  kernels::rms_norm(x, n, h, w(b.norm2), kVisionNormEps, normed);
  std::vector<float> gate = run(b.gate, w, normed, n, hooks);
  const std::vector<float> up = run(b.up, w, normed, n, hooks);
  kernels::silu_mul_inplace(gate, up);
  add_inplace(x, run(b.down, w, gate, n, hooks));
}

std::vector<float> VisionTower::encode(std::span<const float> pixel_values,
                                       std::span<const int64_t> image_grid_thw,
                                       LinearInterceptor* hooks) const {
  const Impl& m = *impl_;
  const VisionConfig& c = m.config;
  const auto grids = parse_vision_grids(image_grid_thw, c.spatial_merge_size);
  const int64_t n = total_patches(grids);
  const int64_t cols = c.patch_dim();
  if (pixel_values.size() % static_cast<size_t>(cols) != 0) {
    throw Error("pixel_values: " + std::to_string(pixel_values.size()) +
                " values are not rows of " + std::to_string(cols) +
                " columns (in_chans·temporal_patch_size·patch_size²)");
  }
  if (static_cast<int64_t>(pixel_values.size()) / cols != n) {
    throw Error("pixel_values: " + std::to_string(pixel_values.size() / cols) +
                " rows, but image_grid_thw describes " + std::to_string(n) + " (sum of t·h·w)");
  }
  const int64_t h = c.hidden_size;
  const int64_t unit = c.spatial_merge_size * c.spatial_merge_size;
  const WindowLayout layout =
      compute_window_layout(grids, c.spatial_merge_size, vision_window_cells(c));
  const std::vector<int32_t> cu_full = full_attention_cu_seqlens(grids);

  // Patch embed: Conv3d with kernel = stride = patch, i.e. pixels[N,1176] · W[hidden,1176]ᵀ;
  // the pixel columns (c, t, ph, pw) are the conv weight's flattening order.
  std::vector<float> embedded;
  {
    Impl::Scope w(m);
    std::vector<float> pixels(pixel_values.begin(), pixel_values.end());  // hooks may edit input
    embedded = m.run(m.patch_embed, w, pixels, n, hooks);
  }

  // Window order: merged cell (unit consecutive rows) j of the sequence is cell window_index[j].
  std::vector<float> x(embedded.size());
  const auto block_len = static_cast<size_t>(unit * h);
  for (size_t j = 0; j < layout.window_index.size(); ++j) {
    const auto src = static_cast<size_t>(layout.window_index[j]) * block_len;
    std::copy_n(embedded.begin() + static_cast<ptrdiff_t>(src), block_len,
                x.begin() + static_cast<ptrdiff_t>(j * block_len));
  }
  embedded = {};
  const VisionRotaryTable rope = vision_rotary_table(
      vision_rotary_angles(grids, c.spatial_merge_size, c.head_dim(), kVisionRopeTheta),
      c.head_dim(), layout.window_index, unit);

  const auto& full = c.fullatt_block_indexes;
  for (size_t i = 0; i < m.blocks.size(); ++i) {
    const bool is_full = std::find(full.begin(), full.end(), static_cast<int64_t>(i)) != full.end();
    m.block(m.blocks[i], x, n, is_full ? cu_full : layout.cu_window_seqlens, rope, hooks);
  }

  // Merger: ln_q per patch row, then each merge block's unit rows side by side ([n/unit,
  // unit·hidden], a plain reinterpretation of the row-major buffer) → Linear → GELU → Linear.
  Impl::Scope w(m);
  kernels::rms_norm(x, n, h, w(m.ln_q), kVisionNormEps, x);
  std::vector<float> hidden = m.run(m.merger0, w, x, n / unit, hooks);
  kernels::gelu_erf_inplace(hidden);
  const std::vector<float> merged = m.run(m.merger2, w, hidden, n / unit, hooks);

  // Undo the window order: row j of `merged` is merged cell window_index[j].
  const auto out_dim = static_cast<size_t>(c.out_hidden_size);
  std::vector<float> out(merged.size());
  for (size_t j = 0; j < layout.window_index.size(); ++j) {
    std::copy_n(merged.begin() + static_cast<ptrdiff_t>(j * out_dim), out_dim,
                out.begin() + static_cast<ptrdiff_t>(layout.window_index[j]) *
                                  static_cast<ptrdiff_t>(out_dim));
  }
  return out;
}

}  // namespace vlq::model
