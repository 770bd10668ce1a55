#pragma once
// Static activation observer for one op's input: exact min/max plus a 2048-bin histogram of |x|,
// accumulated over real tokens only (rows with row_is_real == 0 are padding and skipped).
// From it a clipping range is chosen by one of four methods:
//   minmax      the observed [min, max] (torch MinMaxObserver)
//   percentile  amax = the p-th percentile of |x| (e.g. 99.99), read off the histogram (upper
//               edge of the bin that reaches p, so it errs towards less clipping by < 1 bin)
//   mse         amax on a grid of 128 clip ratios of the observed amax minimising the
//               histogram-estimated squared error of the real fake-quantizer (bin centres)
//   kl          TensorRT's entropy calibration (IInt8EntropyCalibrator2 / NVIDIA
//               pytorch-quantization `compute_amax("entropy")`): for each candidate threshold
//               bin i ≥ 128, KL(P‖Q) between the clipped reference histogram (outliers folded into
//               the last bin) and its requantization to 128 levels (256 for non-negative inputs
//               with an unsigned range), Q spread over P's non-zero bins and zero q smoothed to
//               1e-4 as in MXNet/TVM's implementation; the largest i attaining the minimum wins. This is NOT
//               torch's HistogramObserver (an L2 search), which INC's "kl" maps to.
// For asymmetric activations the clip amax is applied to both ends: [max(min, -amax),
// min(max, amax)].
// Histogram growth: the range starts at the first batch's amax and doubles (merging bin pairs,
// exactly) whenever a later batch exceeds it, so counts are never interpolated.
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "vlq/quant/scheme.hpp"

namespace vlq::quant {

enum class ObserverMethod { kMinMax, kPercentile, kMse, kKl };

struct ObserverConfig {
  ObserverMethod method = ObserverMethod::kMinMax;
  double percentile = 99.99;
};

// "minmax" | "percentile" | "mse" | "kl"; otherwise vlq::Error.
ObserverMethod parse_observer_method(std::string_view name);
std::string_view observer_method_name(ObserverMethod method);

struct ClipRange {
  float lo = 0.0f;
  float hi = 0.0f;
};

class ActivationObserver {
 public:
  static constexpr int kBins = 2048;

  ActivationObserver() : hist_(kBins, 0.0) {}

  // values: row-major [rows, features]; row_is_real: [rows] or empty (all real).
  void observe(std::span<const float> values, int64_t rows, int64_t features,
               std::span<const uint8_t> row_is_real = {});

  int64_t count() const { return count_; }
  float min() const { return min_; }
  float max() const { return max_; }
  float amax() const;
  float hist_range() const { return range_; }  // bins cover [0, hist_range]
  std::span<const double> histogram() const { return hist_; }

  ClipRange clip_range(const ObserverConfig& config, const TensorQuant& spec) const;

  // Individual amax selectors (exposed for tests).
  float percentile_amax(double percentile) const;
  float mse_amax(const TensorQuant& spec) const;
  float kl_amax(int quant_levels) const;

 private:
  void grow_to(float amax);
  std::vector<double> hist_;
  float range_ = 0.0f;
  float min_ = 0.0f;
  float max_ = 0.0f;
  int64_t count_ = 0;
};

}  // namespace vlq::quant
