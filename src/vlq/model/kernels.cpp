#include "vlq/model/kernels.hpp"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "vlq/core/error.hpp"

namespace vlq::model::kernels {

namespace {

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

void check_size(std::span<const float> s, int64_t expected, const char* what) {
  if (static_cast<int64_t>(s.size()) != expected)
    fail(std::string("kernels: ") + what + " has " + std::to_string(s.size()) + " elements, expected " +
         std::to_string(expected));
}

}  // namespace

void set_num_threads(int threads) {
  const int n = threads > 0 ? threads : default_threads();
  g_threads = n;
  openblas_set_num_threads(n);
}

int num_threads() {
  if (g_threads.load() == 0) set_num_threads(0);
  return g_threads.load();
}

void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& body) {
  if (n <= 0) return;
  const int64_t chunks = std::min<int64_t>(num_threads(), n);
  if (chunks <= 1) {
    body(0, n);
    return;
  }
  std::vector<std::jthread> workers;
  workers.reserve(static_cast<size_t>(chunks - 1));
  const int64_t step = (n + chunks - 1) / chunks;
  for (int64_t c = 1; c < chunks; ++c) {
    const int64_t begin = c * step, end = std::min(n, begin + step);
    if (begin < end) workers.emplace_back([&body, begin, end] { body(begin, end); });
  }
  body(0, std::min(n, step));  // the calling thread takes the first chunk
}

void linear(std::span<const float> x, int64_t rows, int64_t in_features,
            std::span<const float> weight, int64_t out_features, std::span<const float> bias,
            std::span<float> y) {
  check_size(x, rows * in_features, "linear input");
  check_size(weight, out_features * in_features, "linear weight");
  check_size(y, rows * out_features, "linear output");
  if (!bias.empty()) check_size(bias, out_features, "linear bias");
  if (rows == 0 || out_features == 0) return;
  float beta = 0.0f;
  if (!bias.empty()) {
    // Seed y with the bias and let sgemm accumulate onto it (beta = 1): one pass over y.
    for (int64_t r = 0; r < rows; ++r)
      std::copy(bias.begin(), bias.end(), y.begin() + r * out_features);
    beta = 1.0f;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows),
              static_cast<int>(out_features), static_cast<int>(in_features), 1.0f, x.data(),
              static_cast<int>(in_features), weight.data(), static_cast<int>(in_features), beta,
              y.data(), static_cast<int>(out_features));
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
  });
}

void silu_inplace(std::span<float> x) {
  parallel_for(static_cast<int64_t>(x.size()), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) x[size_t(i)] = x[size_t(i)] / (1.0f + std::exp(-x[size_t(i)]));
  });
}

void silu_mul_inplace(std::span<float> gate, std::span<const float> up) {
  check_size(up, static_cast<int64_t>(gate.size()), "silu_mul up");
  parallel_for(static_cast<int64_t>(gate.size()), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float g = gate[size_t(i)];
      gate[size_t(i)] = g / (1.0f + std::exp(-g)) * up[size_t(i)];
    }
  });
}

void gelu_erf_inplace(std::span<float> x) {
  parallel_for(static_cast<int64_t>(x.size()), [&](int64_t begin, int64_t end) {
    constexpr float kInvSqrt2 = 0.70710678118654752440f;
    for (int64_t i = begin; i < end; ++i) {
      const float v = x[size_t(i)];
      x[size_t(i)] = 0.5f * v * (1.0f + std::erf(v * kInvSqrt2));
    }
  });
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
  });
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
  });
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
  std::vector<float> scores(static_cast<size_t>(q_len * kv_len));
  for (int64_t h = 0; h < heads; ++h) {
    const int64_t kvh = h / group;
    // scores = scale · Q_h K_hᵀ over strided head slices (no copies).
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(q_len),
                static_cast<int>(kv_len), static_cast<int>(head_dim), scale, q.data() + h * head_dim,
                q_stride, k.data() + kvh * head_dim, kv_stride, 0.0f, scores.data(),
                static_cast<int>(kv_len));
    parallel_for(q_len, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
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
    });
    // out_h = P · V_h
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(q_len),
                static_cast<int>(head_dim), static_cast<int>(kv_len), 1.0f, scores.data(),
                static_cast<int>(kv_len), v.data() + kvh * head_dim, kv_stride, 0.0f,
                out.data() + h * head_dim, q_stride);
  }
}

}  // namespace vlq::model::kernels
