#pragma once
// Scale / zero point from an observed range, exactly like torch.ao.quantization's min-max
// observers (UniformQuantizationObserverBase._calculate_qparams): the range is widened to include
// 0, symmetric ranges use amax / ((qmax - qmin) / 2) (so int8 [-128, 127] divides by 127.5, as
// PyTorch does), affine ranges use (max - min) / (qmax - qmin) and
// zero_point = clamp(qmin - round_half_even(min / scale), qmin, qmax); the scale is floored at
// fp32 epsilon (torch.finfo(torch.float32).eps) so an all-zero tensor does not divide by zero.
#include <cstdint>
#include <span>
#include <vector>

namespace vlq::quant {

inline constexpr float kObserverEps = 1.1920928955078125e-07f;  // torch.finfo(float32).eps

struct QParams {
  float scale = 1.0f;
  int64_t zero_point = 0;
};

struct IntRange {
  int64_t qmin = -128;
  int64_t qmax = 127;
};

// Symmetric ranges must be signed (qmin < 0): zero point 0, as for torch.qint8. (PyTorch's
// symmetric quint8 zero point 128 is not offered: no vlq scheme uses it.)
QParams qparams_from_minmax(float min_val, float max_val, IntRange range, bool symmetric);

// One QParams per row of a row-major [rows, cols] matrix (PerChannelMinMaxObserver, ch_axis=0).
struct ChannelQParams {
  std::vector<float> scales;
  std::vector<int64_t> zero_points;
};
ChannelQParams per_channel_qparams(std::span<const float> x, int64_t rows, int64_t cols,
                                   IntRange range, bool symmetric);
// Per group of `group_size` columns in each row; [rows, ceil(cols / group_size)].
ChannelQParams per_group_qparams(std::span<const float> x, int64_t rows, int64_t cols,
                                 int64_t group_size, IntRange range, bool symmetric);

// FP8 E4M3 scale: amax / 448 (1.0 when amax is 0, where any scale reproduces the zeros).
float fp8_scale_from_amax(float amax);
std::vector<float> fp8_per_channel_scales(std::span<const float> x, int64_t rows, int64_t cols);

}  // namespace vlq::quant
