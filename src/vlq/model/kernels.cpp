#include "vlq/model/kernels.hpp"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "vlq/core/error.hpp"
#include "vlq/model/thread_pool.hpp"

namespace vlq::model::kernels {

namespace {

// The pool is created on first use and replaced by set_num_threads; kernels never run while a
// model is being loaded, which is the only place the thread count changes.
std::mutex g_pool_mutex;
std::unique_ptr<ThreadPool> g_pool;
std::atomic<int> g_threads{0};

int default_threads() {
  if (const char* env = std::getenv("VLQ_THREADS"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end == env || *end != '\0' || v <= 0 || v > 4096)
      fail(std::string("VLQ_THREADS: expected a positive integer, found '") + env + "'");
    return static_cast<int>(v);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

ThreadPool& pool() {
  if (g_threads.load() == 0) set_num_threads(0);
  return *g_pool;
}

void check_size(std::span<const float> s, int64_t expected, const char* what) {
  if (static_cast<int64_t>(s.size()) != expected)
    fail(std::string("kernels: ") + what + " has " + std::to_string(s.size()) + " elements, expected " +
         std::to_string(expected));
}

// Matmul blocking (see linear()). K is cut into near-equal chunks of at most kMaxKChunk so a
// chunk of the input rows stays in cache while weight tiles stream past it; a weight that must
// be widened is widened kTileFloats at a time into a per-thread buffer that sgemm then reads
// from cache, instead of writing and re-reading a whole fp32 copy through DRAM.
constexpr int64_t kMaxKChunk = 2048;
constexpr int64_t kTileFloats = 1 << 20;  // 4 MiB: half the L3
// OpenBLAS zeroes the output block of a beta = 0 call in a pass of its own before accumulating
// into it, so a column tile's output block [rows, tile] should still be in L2 for the second
// pass: with a small K (the lm_head of a narrow model) a 4 MiB weight tile would otherwise span
// a 16 MB output block that makes both passes go to DRAM.
constexpr int64_t kOutputBlockFloats = 1 << 17;  // 512 KiB: half an L2
// Below this many multiply-adds one thread does the whole matmul (dispatch would dominate).
constexpr int64_t kSerialMacs = int64_t(1) << 20;
// Work is cut into this many tasks per thread, claimed dynamically: when the machine is shared
// and a worker is descheduled, the others take over its share instead of waiting for it.
constexpr int64_t kTasksPerThread = 4;
// Element-wise kernels split only when every thread gets at least this many elements.
constexpr int64_t kElementwiseGrain = 1 << 14;

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

}  // namespace

void set_num_threads(int threads) {
  const int n = threads > 0 ? threads : default_threads();
  // OpenBLAS runs inside pool tasks, one thread each: its own workers would only contend with
  // the pool's for the same cores.
  openblas_set_num_threads(1);
  const std::lock_guard lock(g_pool_mutex);
  if (g_pool && g_pool->size() == n) return;
  g_pool.reset();
  g_pool = std::make_unique<ThreadPool>(n);
  g_threads = n;
}

int num_threads() {
  if (g_threads.load() == 0) set_num_threads(0);
  return g_threads.load();
}

void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& body, int64_t min_chunk) {
  if (n <= 0) return;
  const int64_t grain = std::max<int64_t>(1, min_chunk);
  const int64_t chunks = std::min<int64_t>(kTasksPerThread * num_threads(), (n + grain - 1) / grain);
  if (chunks <= 1) {
    body(0, n);
    return;
  }
  const int64_t step = (n + chunks - 1) / chunks;
  pool().run(chunks, [&](int64_t c) {
    const int64_t begin = c * step, end = std::min(n, begin + step);
    if (begin < end) body(begin, end);
  });
}

void linear(std::span<const float> x, int64_t rows, int64_t in_features,
            std::span<const float> weight, int64_t out_features, std::span<const float> bias,
            std::span<float> y) {
  check_size(weight, out_features * in_features, "linear weight");
  linear(x, rows, WeightMatrix(weight, out_features, in_features), bias, y);
}

void linear(std::span<const float> x, int64_t rows, const WeightMatrix& weight,
            std::span<const float> bias, std::span<float> y) {
  const int64_t M = rows, N = weight.rows(), K = weight.cols();
  check_size(x, M * K, "linear input");
  check_size(y, M * N, "linear output");
  if (!bias.empty()) check_size(bias, N, "linear bias");
  if (M == 0 || N == 0) return;
  if (K == 0) {
    for (int64_t r = 0; r < M; ++r)
      for (int64_t j = 0; j < N; ++j) y[size_t(r * N + j)] = bias.empty() ? 0.0f : bias[size_t(j)];
    return;
  }
  // Every sgemm call covers the same (column tile, K chunk) block whatever the weight's dtype and
  // the thread count — OpenBLAS's result for an element depends on the block geometry — so
  // widened, cached and in-place fp32 weights give bit-identical outputs (tests rely on it).
  const int64_t k_chunks = (K + kMaxKChunk - 1) / kMaxKChunk;
  const int64_t kc = round_up((K + k_chunks - 1) / k_chunks, 16);
  const std::span<const float> direct = weight.f32();
  // (Never narrower than 512 columns: a tile re-packs the input rows, which for a tall input
  // costs more than the output block's trip to DRAM.)
  const int64_t tile_cols = std::max<int64_t>(
      64, std::min(kTileFloats / kc, std::max<int64_t>(512, kOutputBlockFloats / M)) / 16 * 16);
  const int64_t tiles = (N + tile_cols - 1) / tile_cols;
  const int64_t parts = M * N * K <= kSerialMacs ? 1 : std::min<int64_t>(kTasksPerThread * num_threads(), tiles);
  const int64_t part_cols = (tiles + parts - 1) / parts * tile_cols;
  auto run_part = [&](int64_t part) {
    const int64_t n0 = part * part_cols, n1 = std::min(N, n0 + part_cols);
    if (n0 >= n1) return;
    // Seed y with the bias and let sgemm accumulate onto it (beta = 1): one pass over y.
    if (!bias.empty())
      for (int64_t r = 0; r < M; ++r)
        std::copy(bias.begin() + n0, bias.begin() + n1, y.begin() + r * N + n0);
    thread_local std::vector<float> tile;  // per pool thread, reused across calls
    if (direct.empty()) tile.resize(std::max(tile.size(), static_cast<size_t>(std::min(tile_cols, n1 - n0) * kc)));
    for (int64_t k0 = 0; k0 < K; k0 += kc) {
      const int64_t k1 = std::min(K, k0 + kc);
      const float beta = (k0 == 0 && bias.empty()) ? 0.0f : 1.0f;
      for (int64_t c0 = n0; c0 < n1; c0 += tile_cols) {
        const int64_t c1 = std::min(n1, c0 + tile_cols);
        const float* b = direct.data() + c0 * K + k0;
        int64_t ldb = K;
        if (direct.empty()) {
          weight.widen_tile(c0, c1, k0, k1, tile.data());
          b = tile.data();
          ldb = k1 - k0;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(M),
                    static_cast<int>(c1 - c0), static_cast<int>(k1 - k0), 1.0f, x.data() + k0,
                    static_cast<int>(K), b, static_cast<int>(ldb), beta, y.data() + c0,
                    static_cast<int>(N));
      }
    }
  };
  if (parts == 1)
    run_part(0);
  else
    pool().run(parts, run_part);
}

void rms_norm(std::span<const float> x, int64_t rows, int64_t dim, std::span<const float> weight,
              float eps, std::span<float> y) {
  check_size(x, rows * dim, "rms_norm input");
  check_size(y, rows * dim, "rms_norm output");
  check_size(weight, dim, "rms_norm weight");
  parallel_for(rows, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* in = x.data() + r * dim;
      float* out = y.data() + r * dim;
      // fp32 accumulation like torch's mean over an fp32 row (pairwise in torch; the difference
      // is far below the 1e-4 parity budget for rows of a few thousand).
      float sum = 0.0f;
      for (int64_t i = 0; i < dim; ++i) sum += in[i] * in[i];
      const float inv = 1.0f / std::sqrt(sum / static_cast<float>(dim) + eps);
      for (int64_t i = 0; i < dim; ++i) out[i] = weight[size_t(i)] * (in[i] * inv);
    }
  }, kElementwiseGrain / std::max<int64_t>(1, dim));
}

void silu_inplace(std::span<float> x) {
  parallel_for(static_cast<int64_t>(x.size()), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) x[size_t(i)] = x[size_t(i)] / (1.0f + std::exp(-x[size_t(i)]));
  }, kElementwiseGrain);
}

void silu_mul_inplace(std::span<float> gate, std::span<const float> up) {
  check_size(up, static_cast<int64_t>(gate.size()), "silu_mul up");
  parallel_for(static_cast<int64_t>(gate.size()), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float g = gate[size_t(i)];
      gate[size_t(i)] = g / (1.0f + std::exp(-g)) * up[size_t(i)];
    }
  }, kElementwiseGrain);
}

void gelu_erf_inplace(std::span<float> x) {
  parallel_for(static_cast<int64_t>(x.size()), [&](int64_t begin, int64_t end) {
    constexpr float kInvSqrt2 = 0.70710678118654752440f;
    for (int64_t i = begin; i < end; ++i) {
      const float v = x[size_t(i)];
      x[size_t(i)] = 0.5f * v * (1.0f + std::erf(v * kInvSqrt2));
    }
  }, kElementwiseGrain);
}

namespace {
void softmax_row(float* row, int64_t cols) {
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < cols; ++j) max = std::max(max, row[j]);
  float sum = 0.0f;
  for (int64_t j = 0; j < cols; ++j) {
    row[j] = std::exp(row[j] - max);
    sum += row[j];
  }
  const float inv = 1.0f / sum;
  for (int64_t j = 0; j < cols; ++j) row[j] *= inv;
}
}  // namespace

void softmax_rows(std::span<float> x, int64_t rows, int64_t cols) {
  check_size(x, rows * cols, "softmax input");
  parallel_for(rows, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) softmax_row(x.data() + r * cols, cols);
  }, kElementwiseGrain / std::max<int64_t>(1, cols));
}

void apply_rope(std::span<float> x, int64_t rows, int64_t heads, int64_t head_dim,
                std::span<const float> cos, std::span<const float> sin) {
  check_size(x, rows * heads * head_dim, "rope input");
  check_size(cos, rows * head_dim, "rope cos");
  check_size(sin, rows * head_dim, "rope sin");
  const int64_t half = head_dim / 2;
  parallel_for(rows, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* c = cos.data() + r * head_dim;
      const float* s = sin.data() + r * head_dim;
      for (int64_t h = 0; h < heads; ++h) {
        float* v = x.data() + (r * heads + h) * head_dim;
        for (int64_t i = 0; i < half; ++i) {
          const float a = v[i], b = v[i + half];
          v[i] = a * c[i] - b * s[i];
          v[i + half] = b * c[i + half] + a * s[i + half];
        }
      }
    }
  }, kElementwiseGrain / std::max<int64_t>(1, heads * head_dim));
}

void attention(std::span<const float> q, std::span<const float> k, std::span<const float> v,
               int64_t q_len, int64_t kv_len, int64_t heads, int64_t kv_heads, int64_t head_dim,
               float scale, const AttentionMask& mask, std::span<float> out) {
  if (heads <= 0 || kv_heads <= 0 || heads % kv_heads != 0)
    fail("kernels: attention heads " + std::to_string(heads) + " not a multiple of kv heads " +
         std::to_string(kv_heads));
  check_size(q, q_len * heads * head_dim, "attention q");
  check_size(k, kv_len * kv_heads * head_dim, "attention k");
  check_size(v, kv_len * kv_heads * head_dim, "attention v");
  check_size(out, q_len * heads * head_dim, "attention out");
  if (!mask.key_is_real.empty() && static_cast<int64_t>(mask.key_is_real.size()) != kv_len)
    fail("kernels: attention key mask length differs from kv_len");
  if (q_len == 0 || kv_len == 0) return;
  const int64_t group = heads / kv_heads;
  const int q_stride = static_cast<int>(heads * head_dim);
  const int kv_stride = static_cast<int>(kv_heads * head_dim);
  // One task per head: its two small sgemms and the masked softmax in between run on one
  // thread, so heads spread over the pool instead of every tiny sgemm being split.
  auto one_head = [&](int64_t h) {
    const int64_t kvh = h / group;
    std::vector<float> scores(static_cast<size_t>(q_len * kv_len));
    // scores = scale · Q_h K_hᵀ over strided head slices (no copies).
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(q_len),
                static_cast<int>(kv_len), static_cast<int>(head_dim), scale, q.data() + h * head_dim,
                q_stride, k.data() + kvh * head_dim, kv_stride, 0.0f, scores.data(),
                static_cast<int>(kv_len));
    for (int64_t i = 0; i < q_len; ++i) {
      float* row = scores.data() + i * kv_len;
      bool any_visible = false;
      for (int64_t j = 0; j < kv_len; ++j) {
        const bool visible = (!mask.causal || j <= i) &&
                             (mask.key_is_real.empty() || mask.key_is_real[size_t(j)] != 0);
        if (!visible) row[j] = -std::numeric_limits<float>::infinity();
        any_visible = any_visible || visible;
      }
      if (!any_visible) std::fill(row, row + kv_len, 0.0f);  // uniform, as eager's finfo.min mask
      softmax_row(row, kv_len);
    }
    // out_h = P · V_h
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(q_len),
                static_cast<int>(head_dim), static_cast<int>(kv_len), 1.0f, scores.data(),
                static_cast<int>(kv_len), v.data() + kvh * head_dim, kv_stride, 0.0f,
                out.data() + h * head_dim, q_stride);
  };
  if (q_len * kv_len * head_dim * heads <= kSerialMacs)
    for (int64_t h = 0; h < heads; ++h) one_head(h);
  else
    pool().run(heads, one_head);
}

}  // namespace vlq::model::kernels
