#include "vlq/model/weight_matrix.hpp"

#include <string>

#include "vlq/core/error.hpp"
#include "vlq/model/kernels.hpp"
#include "vlq/model/safetensors.hpp"

namespace vlq::model {

WeightMatrix::WeightMatrix(std::span<const float> data, int64_t rows, int64_t cols)
    : rows_(rows), cols_(cols), dtype_(DType::kF32), bytes_(std::as_bytes(data)), f32_(data) {
  if (rows < 0 || cols < 0 || static_cast<int64_t>(data.size()) != rows * cols)
    fail("WeightMatrix: " + std::to_string(data.size()) + " floats cannot be a [" + std::to_string(rows) +
         ", " + std::to_string(cols) + "] matrix");
}

WeightMatrix WeightMatrix::of(const TensorInfo& tensor) {
  if (tensor.shape.size() != 2)
    fail(*tensor.file, "tensor '" + tensor.name + "': expected a 2-D weight, found " +
                           std::to_string(tensor.shape.size()) + " dimensions");
  WeightMatrix w;
  w.rows_ = tensor.shape[0];
  w.cols_ = tensor.shape[1];
  w.dtype_ = tensor.dtype;
  w.bytes_ = tensor.bytes;
  // safetensors only aligns the data section to 8 bytes and packs tensors back to back, so an
  // F32 tensor after an odd-sized BF16 one may be misaligned; those are widened like the others.
  if (tensor.dtype == DType::kF32 && reinterpret_cast<uintptr_t>(tensor.bytes.data()) % alignof(float) == 0)
    w.f32_ = {reinterpret_cast<const float*>(tensor.bytes.data()), tensor.bytes.size() / sizeof(float)};
  return w;
}

void WeightMatrix::widen_tile(int64_t r0, int64_t r1, int64_t c0, int64_t c1, float* dst) const {
  const size_t elem = dtype_size(dtype_), width = static_cast<size_t>(c1 - c0);
  for (int64_t r = r0; r < r1; ++r)
    convert_to_f32(dtype_, bytes_.subspan((static_cast<size_t>(r * cols_ + c0)) * elem, width * elem),
                   std::span<float>(dst + static_cast<size_t>(r - r0) * width, width));
}

std::span<const float> WeightMatrix::to_f32(std::vector<float>& scratch) const {
  if (!f32_.empty() || rows_ * cols_ == 0) return f32_;
  scratch.resize(static_cast<size_t>(rows_ * cols_));
  // Widening a 3B layer is memory-bound and worth every core.
  const int64_t rows_per_task = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, cols_));
  kernels::parallel_for((rows_ + rows_per_task - 1) / rows_per_task, [&](int64_t b, int64_t e) {
    const int64_t r0 = b * rows_per_task, r1 = std::min(rows_, e * rows_per_task);
    widen_tile(r0, r1, 0, cols_, scratch.data() + r0 * cols_);
  });
  return scratch;
}

}  // namespace vlq::model
