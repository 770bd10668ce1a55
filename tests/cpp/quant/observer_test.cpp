// Observer behaviour that needs no oracle library: padding rows are skipped, the histogram
// grows exactly, and the clipping methods clip outliers but not uniform data. Percentile/MSE
// agreement with numpy/torch is checked in tests/python/test_quant_numerics.py.
#include "vlq/quant/observer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "vlq/core/error.hpp"
#include "vlq/quant/fake_quant.hpp"
#include "vlq/quant/qparams.hpp"
#include <random>
#include <vector>

namespace vlq::quant {
namespace {

TEST(Observer, SkipsPaddingRows) {
  ActivationObserver obs;
  std::vector<float> x{1.0f, -2.0f, 100.0f, -100.0f, 0.5f, 0.25f};  // 3 rows × 2
  std::vector<uint8_t> real{1, 0, 1};
  obs.observe(x, 3, 2, real);
  EXPECT_EQ(obs.count(), 4);
  EXPECT_EQ(obs.min(), -2.0f);
  EXPECT_EQ(obs.max(), 1.0f);
  double total = 0.0;
  for (double c : obs.histogram()) total += c;
  EXPECT_EQ(total, 4.0);
}

TEST(Observer, HistogramGrowthKeepsEveryCount) {
  ActivationObserver obs;
  std::vector<float> a{0.1f, 0.2f, 0.3f}, b{5.0f, -7.0f, 0.0f};
  obs.observe(a, 1, 3);
  obs.observe(b, 1, 3);
  EXPECT_GE(obs.hist_range(), 7.0f);
  double total = std::accumulate(obs.histogram().begin(), obs.histogram().end(), 0.0);
  EXPECT_EQ(total, 6.0);
  EXPECT_EQ(obs.amax(), 7.0f);
}

TEST(Observer, ClippingMethodsClipOutliersButNotUniformData) {
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(200000);
  for (float& v : x) v = normal(rng);
  x[0] = 200.0f;  // one outlier
  ActivationObserver obs;
  obs.observe(x, 1000, 200);
  TensorQuant sym{NumberFormat::kInt, {-128, 127}, true, Granularity::kPerTensor, 0};
  for (auto method : {ObserverMethod::kPercentile, ObserverMethod::kKl}) {
    ClipRange r = obs.clip_range({method, 99.99}, sym);
    EXPECT_LT(r.hi, 20.0f) << observer_method_name(method);
    EXPECT_GT(r.hi, 2.0f) << observer_method_name(method);
  }
  EXPECT_EQ(obs.clip_range({ObserverMethod::kMinMax, 0}, sym).hi, 200.0f);
  // MSE trades the single outlier's clipping error against 200k rounding errors: its choice must
  // beat min-max on the real data's squared error (measured with the real fake-quantizer).
  auto sq_error = [&](ClipRange r) {
    QParams p = qparams_from_minmax(r.lo, r.hi, sym.range, true);
    std::vector<float> y = x;
    fake_quantize_per_tensor(y, p.scale, p.zero_point, -128, 127);
    double e = 0.0;
    for (size_t i = 0; i < x.size(); ++i) e += double(x[i] - y[i]) * (x[i] - y[i]);
    return e;
  };
  ClipRange mse = obs.clip_range({ObserverMethod::kMse, 0}, sym);
  EXPECT_LT(mse.hi, 200.0f);
  EXPECT_LT(sq_error(mse), 0.9 * sq_error({-200.0f, 200.0f}));

  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  ActivationObserver u;
  for (float& v : x) v = uni(rng);
  u.observe(x, 1000, 200);
  for (auto method : {ObserverMethod::kPercentile, ObserverMethod::kMse, ObserverMethod::kKl}) {
    ClipRange r = u.clip_range({method, 99.99}, sym);
    EXPECT_GT(r.hi, 0.9f) << observer_method_name(method);
  }
}

TEST(Observer, AllZeroInputGivesZeroRange) {
  ActivationObserver obs;
  std::vector<float> x(10, 0.0f);
  obs.observe(x, 2, 5);
  TensorQuant sym{NumberFormat::kInt, {-128, 127}, true, Granularity::kPerTensor, 0};
  for (auto method : {ObserverMethod::kMinMax, ObserverMethod::kPercentile, ObserverMethod::kMse,
                      ObserverMethod::kKl}) {
    ClipRange r = obs.clip_range({method, 99.0}, sym);
    EXPECT_EQ(r.hi, 0.0f);
  }
}

TEST(Observer, RejectsBadInput) {
  ActivationObserver obs;
  std::vector<float> x{1.0f, NAN};
  EXPECT_THROW(obs.observe(x, 1, 2), Error);
  EXPECT_THROW(obs.observe(x, 3, 2), Error);
  EXPECT_THROW(parse_observer_method("foo"), Error);
}

}  // namespace
}  // namespace vlq::quant
