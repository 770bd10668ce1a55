#include "vlq/quant/observer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "vlq/core/error.hpp"
#include "vlq/quant/fake_quant.hpp"
#include "vlq/quant/qparams.hpp"

namespace vlq::quant {

ObserverMethod parse_observer_method(std::string_view name) {
  if (name == "minmax") return ObserverMethod::kMinMax;
  if (name == "percentile") return ObserverMethod::kPercentile;
  if (name == "mse") return ObserverMethod::kMse;
  if (name == "kl" || name == "entropy") return ObserverMethod::kKl;
  fail("--observer: unknown method '" + std::string(name) + "' (known: minmax, percentile, mse, kl)");
}

std::string_view observer_method_name(ObserverMethod method) {
  switch (method) {
    case ObserverMethod::kMinMax: return "minmax";
    case ObserverMethod::kPercentile: return "percentile";
    case ObserverMethod::kMse: return "mse";
    case ObserverMethod::kKl: return "kl";
  }
  return "?";
}

float ActivationObserver::amax() const { return std::max(std::fabs(min_), std::fabs(max_)); }

void ActivationObserver::grow_to(float amax) {
  if (range_ == 0.0f) {
    range_ = amax;
    return;
  }
  while (range_ < amax) {
    // Doubling the range merges bins (2k, 2k+1) into bin k: exact, no interpolation.
    for (int k = 0; k < kBins / 2; ++k) hist_[k] = hist_[2 * k] + hist_[2 * k + 1];
    std::fill(hist_.begin() + kBins / 2, hist_.end(), 0.0);
    range_ *= 2.0f;
  }
}

void ActivationObserver::observe(std::span<const float> values, int64_t rows, int64_t features,
                                 std::span<const uint8_t> row_is_real) {
  if (rows < 0 || features <= 0 || values.size() != static_cast<size_t>(rows * features))
    fail("observer: activation size does not match [rows, features]");
  if (!row_is_real.empty() && row_is_real.size() != static_cast<size_t>(rows))
    fail("observer: row_is_real size does not match rows");
  // Pass 1: range of the real rows, so the histogram can grow before binning.
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  int64_t real_rows = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (!row_is_real.empty() && !row_is_real[r]) continue;
    ++real_rows;
    const float* row = values.data() + r * features;
    bool finite = true;
    for (int64_t c = 0; c < features; ++c) {
      lo = std::min(lo, row[c]);
      hi = std::max(hi, row[c]);
      finite &= std::isfinite(row[c]);
    }
    // NaN would slip past min/max and index the histogram out of bounds.
    if (!finite) fail("observer: non-finite activation value");
  }
  if (real_rows == 0) return;
  if (count_ == 0) {
    min_ = lo;
    max_ = hi;
  } else {
    min_ = std::min(min_, lo);
    max_ = std::max(max_, hi);
  }
  count_ += real_rows * features;
  const float batch_amax = std::max(std::fabs(lo), std::fabs(hi));
  if (batch_amax > range_) grow_to(batch_amax);
  if (range_ == 0.0f) {  // everything seen so far is exactly zero
    hist_[0] += static_cast<double>(real_rows * features);
    return;
  }
  const float to_bin = static_cast<float>(kBins) / range_;
  for (int64_t r = 0; r < rows; ++r) {
    if (!row_is_real.empty() && !row_is_real[r]) continue;
    const float* row = values.data() + r * features;
    for (int64_t c = 0; c < features; ++c) {
      int b = static_cast<int>(std::fabs(row[c]) * to_bin);
      hist_[std::min(b, kBins - 1)] += 1.0;
    }
  }
}

float ActivationObserver::percentile_amax(double percentile) const {
  if (count_ == 0 || range_ == 0.0f) return 0.0f;
  if (!(percentile > 0.0 && percentile <= 100.0)) fail("--percentile: must be in (0, 100]");
  const double target = percentile / 100.0 * static_cast<double>(count_);
  double cum = 0.0;
  const float width = range_ / kBins;
  for (int i = 0; i < kBins; ++i) {
    cum += hist_[i];
    if (cum >= target) return std::min(amax(), (i + 1) * width);
  }
  return amax();
}

namespace {

// Squared error of quantizing value v with the activation spec clipped to [lo, hi].
struct Quantizer {
  const TensorQuant& spec;
  QParams qp;
  float inv = 1.0f;
  float fp8_scale = 1.0f;
  Quantizer(const TensorQuant& s, float lo, float hi) : spec(s) {
    if (spec.format == NumberFormat::kFp8E4M3) {
      fp8_scale = fp8_scale_from_amax(std::max(std::fabs(lo), std::fabs(hi)));
    } else {
      qp = qparams_from_minmax(lo, hi, spec.range, spec.symmetric);
      inv = 1.0f / qp.scale;
    }
  }
  float operator()(float v) const {
    if (spec.format == NumberFormat::kFp8E4M3) return round_to_fp8_e4m3(v / fp8_scale) * fp8_scale;
    return fake_quant_value(v, qp.scale, inv, qp.zero_point, spec.range.qmin, spec.range.qmax);
  }
};

}  // namespace

float ActivationObserver::mse_amax(const TensorQuant& spec) const {
  const float full = amax();
  if (count_ == 0 || full == 0.0f) return full;
  const float width = range_ / kBins;
  constexpr int kRatios = 128;
  float best_amax = full;
  double best_err = std::numeric_limits<double>::infinity();
  for (int k = kRatios; k >= 1; --k) {
    const float a = full * static_cast<float>(k) / kRatios;
    const float lo = spec.symmetric ? -a : std::max(min_, -a);
    const float hi = spec.symmetric ? a : std::min(max_, a);
    Quantizer q(spec, lo, hi);
    double err = 0.0;
    for (int i = 0; i < kBins; ++i) {
      if (hist_[i] == 0.0) continue;
      const float c = (i + 0.5f) * width;
      // |x| histogram: score the side of the range the values mostly sit on (both for symmetric).
      const float v = (spec.symmetric || max_ >= -min_) ? c : -c;
      const double d = static_cast<double>(v) - q(v);
      err += hist_[i] * d * d;
    }
    if (err < best_err) {  // strict: ties keep the larger amax (less clipping)
      best_err = err;
      best_amax = a;
    }
  }
  return best_amax;
}

float ActivationObserver::kl_amax(int quant_levels) const {
  if (count_ == 0 || range_ == 0.0f) return amax();
  if (quant_levels > kBins) return amax();
  const float width = range_ / kBins;
  std::vector<double> suffix(kBins + 1, 0.0);  // suffix[i] = mass of bins [i, kBins)
  for (int i = kBins - 1; i >= 0; --i) suffix[i] = suffix[i + 1] + hist_[i];
  std::vector<double> p, q;
  double best = std::numeric_limits<double>::infinity();
  int best_i = kBins;
  for (int i = quant_levels; i <= kBins; ++i) {
    // Reference P: bins [0, i) with the clipped mass folded into the last kept bin.
    p.assign(hist_.begin(), hist_.begin() + i);
    p[i - 1] += suffix[i];
    // Candidate Q: the unclipped bins [0, i) merged into `quant_levels` chunks (bin j belongs to
    // chunk floor(j * L / i)), each chunk's mass spread evenly over the positions where P is
    // non-zero (MXNet/TVM's formulation of the TensorRT algorithm, so the folded outliers get
    // mass from their chunk instead of making every candidate infinite).
    q.assign(i, 0.0);
    int j = 0;
    while (j < i) {
      const int64_t chunk = static_cast<int64_t>(j) * quant_levels / i;
      int end = j;
      double mass = 0.0;
      int nonzero = 0;
      while (end < i && static_cast<int64_t>(end) * quant_levels / i == chunk) {
        mass += hist_[end];
        nonzero += p[end] != 0.0;
        ++end;
      }
      if (nonzero > 0)
        for (int t = j; t < end; ++t)
          if (p[t] != 0.0) q[t] = mass / nonzero;
      j = end;
    }
    double psum = 0.0, qsum = 0.0;
    for (int t = 0; t < i; ++t) {
      psum += p[t];
      qsum += q[t];
    }
    if (qsum == 0.0) continue;
    double kl = 0.0;
    for (int t = 0; t < i; ++t) {
      if (p[t] == 0.0) continue;
      const double pt = p[t] / psum;
      const double qt = q[t] / qsum;
      // A folded-outlier bin whose chunk holds no unclipped mass has q = 0: smooth it to a small
      // probability (MXNet's eps 1e-4) instead of ruling the candidate out, otherwise one
      // isolated outlier beyond a gap would forbid every clipping threshold.
      kl += pt * std::log(pt / std::max(qt, 1e-4));
    }
    if (kl <= best) {  // ties: the largest threshold (TensorRT picks the last argmin)
      best = kl;
      best_i = i;
    }
  }
  return std::min(amax(), best_i * width);
}

ClipRange ActivationObserver::clip_range(const ObserverConfig& config, const TensorQuant& spec) const {
  if (count_ == 0) return {0.0f, 0.0f};
  float a = amax();
  switch (config.method) {
    case ObserverMethod::kMinMax: return {min_, max_};
    case ObserverMethod::kPercentile: a = percentile_amax(config.percentile); break;
    case ObserverMethod::kMse: a = mse_amax(spec); break;
    case ObserverMethod::kKl: {
      const bool unsigned_levels = spec.format == NumberFormat::kInt && !spec.symmetric &&
                                   spec.range.qmin >= 0 && min_ >= 0.0f;
      a = kl_amax(unsigned_levels ? 256 : 128);
      break;
    }
  }
  if (spec.symmetric) return {-a, a};
  return {std::max(min_, -a), std::min(max_, a)};
}

}  // namespace vlq::quant
