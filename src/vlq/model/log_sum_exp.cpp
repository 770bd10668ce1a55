#include "vlq/model/log_sum_exp.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace vlq::model {
namespace {

constexpr int kLanes = 16;       // two AVX2 vectors of floats per step
constexpr size_t kBlock = 1024;  // elements summed in float before adding into the double total

inline float exp_lane(float x) {
  // Cephes expf: x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two for an exact n·ln2_hi),
  // e^r by a degree-5 polynomial, times 2^n built in the exponent bits.
  x = x < -87.3365447f ? -87.3365447f : x;
  const float n = std::floor(x * 1.44269504088896341f + 0.5f);
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  const float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e_r = p * r2 + r + 1.0f;
  const auto bits = static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23;
  return e_r * std::bit_cast<float>(bits);
}

float row_max(std::span<const float> row) {
  float lanes[kLanes];
  std::fill(lanes, lanes + kLanes, row[0]);
  size_t j = 0;
  for (; j + kLanes <= row.size(); j += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] = row[j + l] > lanes[l] ? row[j + l] : lanes[l];
  float m = lanes[0];
  for (int l = 1; l < kLanes; ++l) m = std::max(m, lanes[l]);
  for (; j < row.size(); ++j) m = std::max(m, row[j]);
  return m;
}

}  // namespace

float exp_nonpositive(float x) { return exp_lane(x); }

double log_sum_exp(std::span<const float> row) {
  const float max = row_max(row);
  double total = 0.0;
  size_t j = 0;
  while (j + kLanes <= row.size()) {
    float lanes[kLanes] = {};
    const size_t block_end = std::min(row.size(), j + kBlock);
    for (; j + kLanes <= block_end; j += kLanes)
      for (int l = 0; l < kLanes; ++l) lanes[l] += exp_lane(row[j + l] - max);
    for (int l = 0; l < kLanes; ++l) total += lanes[l];
  }
  for (; j < row.size(); ++j) total += exp_lane(row[j] - max);
  return double(max) + std::log(total);
}

}  // namespace vlq::model
