#include "vlq/quant/output_error.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "vlq/core/error.hpp"

namespace vlq::quant {

OutputError compare_logits(const Logits& ref, const Logits& q) {
  if (ref.rows != q.rows || ref.vocab != q.vocab) fail("output sensitivity: logits shape changed between runs");
  OutputError e;
  for (int64_t r = 0; r < ref.rows; ++r) {
    const float* a = ref.values.data() + r * ref.vocab;
    const float* b = q.values.data() + r * ref.vocab;
    double ma = a[0], mb = b[0];
    for (int64_t v = 0; v < ref.vocab; ++v) {
      const double d = static_cast<double>(b[v]) - a[v];
      e.sse += d * d;
      ma = std::max(ma, static_cast<double>(a[v]));
      mb = std::max(mb, static_cast<double>(b[v]));
    }
    double za = 0.0, zb = 0.0;
    for (int64_t v = 0; v < ref.vocab; ++v) {
      za += std::exp(a[v] - ma);
      zb += std::exp(b[v] - mb);
    }
    const double la = ma + std::log(za), lb = mb + std::log(zb);
    double kl = 0.0;
    for (int64_t v = 0; v < ref.vocab; ++v) {
      const double lpa = a[v] - la, lpb = b[v] - lb;
      kl += std::exp(lpa) * (lpa - lpb);
    }
    e.kl += kl;
  }
  const double n = static_cast<double>(ref.rows) * static_cast<double>(ref.vocab);
  e.mse = n > 0 ? e.sse / n : 0.0;
  e.kl = ref.rows > 0 ? e.kl / static_cast<double>(ref.rows) : 0.0;
  return e;
}

std::vector<float> head_gram(std::span<const float> weight, int64_t out_features, int64_t in_features) {
  if (out_features <= 0 || in_features <= 0 ||
      weight.size() != static_cast<size_t>(out_features) * static_cast<size_t>(in_features)) {
    fail("output head: weight is not [" + std::to_string(out_features) + ", " + std::to_string(in_features) + "]");
  }
  const auto n = static_cast<size_t>(in_features);
  std::vector<double> total(n * n, 0.0);
  std::vector<float> block(n * n);
  // Blocks of rows keep each float partial sum short; the blocks add up in double.
  constexpr int64_t kBlockRows = 2048;
  for (int64_t r0 = 0; r0 < out_features; r0 += kBlockRows) {
    const int64_t rows = std::min(kBlockRows, out_features - r0);
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, static_cast<int>(in_features), static_cast<int>(rows), 1.0f,
                weight.data() + r0 * in_features, static_cast<int>(in_features), 0.0f, block.data(),
                static_cast<int>(in_features));
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i; j < n; ++j) total[i * n + j] += block[i * n + j];
  }
  std::vector<float> gram(n * n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i; j < n; ++j) gram[i * n + j] = gram[j * n + i] = static_cast<float>(total[i * n + j]);
  return gram;
}

OutputError compare_hidden(const Hidden& ref, const Hidden& q, std::span<const float> gram, int64_t vocab) {
  if (ref.rows != q.rows || ref.width != q.width) fail("output sensitivity: hidden-state shape changed between runs");
  const auto width = static_cast<size_t>(ref.width);
  if (gram.size() != width * width) fail("output sensitivity: Gram matrix does not match the hidden width");
  OutputError e;
  if (ref.rows == 0) return e;
  std::vector<float> d(ref.values.size());
  for (size_t i = 0; i < d.size(); ++i) d[i] = q.values[i] - ref.values[i];
  std::vector<float> dg(d.size());
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(ref.rows), static_cast<int>(width),
              static_cast<int>(width), 1.0f, d.data(), static_cast<int>(width), gram.data(), static_cast<int>(width),
              0.0f, dg.data(), static_cast<int>(width));
  for (size_t i = 0; i < d.size(); ++i) e.sse += static_cast<double>(d[i]) * dg[i];
  e.sse = std::max(e.sse, 0.0);  // G is positive semi-definite; rounding must not make it negative
  const double n = static_cast<double>(ref.rows) * static_cast<double>(vocab);
  e.mse = n > 0 ? e.sse / n : 0.0;
  return e;
}

}  // namespace vlq::quant
