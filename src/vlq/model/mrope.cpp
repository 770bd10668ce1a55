#include "vlq/model/mrope.hpp"

#include <cmath>

namespace vlq::model {

RopeTables mrope_tables(std::span<const int64_t> position_ids, int64_t rows, int64_t head_dim,
                        double rope_theta, const std::array<int64_t, 3>& mrope_section) {
  const int64_t half = head_dim / 2;
  // inv_freq[j] = 1 / theta^(float(2j)/head_dim): HF divides in fp32 and takes the power in fp32.
  std::vector<float> inv_freq(static_cast<size_t>(half));
  std::vector<int> axis(static_cast<size_t>(half));
  for (int64_t j = 0; j < half; ++j) {
    const float exponent = static_cast<float>(2 * j) / static_cast<float>(head_dim);
    inv_freq[size_t(j)] = 1.0f / static_cast<float>(std::pow(static_cast<float>(rope_theta), exponent));
    axis[size_t(j)] = j < mrope_section[0] ? 0 : (j < mrope_section[0] + mrope_section[1] ? 1 : 2);
  }
  RopeTables t;
  t.cos.resize(static_cast<size_t>(rows * head_dim));
  t.sin.resize(static_cast<size_t>(rows * head_dim));
  for (int64_t r = 0; r < rows; ++r) {
    float* c = t.cos.data() + r * head_dim;
    float* s = t.sin.data() + r * head_dim;
    for (int64_t j = 0; j < half; ++j) {
      const float pos = static_cast<float>(position_ids[size_t(axis[size_t(j)] * rows + r)]);
      const float angle = pos * inv_freq[size_t(j)];  // one fp32 product, as HF's k=1 matmul
      c[j] = c[j + half] = std::cos(angle);
      s[j] = s[j + half] = std::sin(angle);
    }
  }
  return t;
}

}  // namespace vlq::model
