#pragma once
// A [rows, cols] row-major weight matrix wherever it lives: in the memory-mapped checkpoint in
// its stored dtype (F32/F16/BF16, possibly unaligned), or in an fp32 buffer. It lets the matmul
// (kernels::linear) read fp32 weights in place and widen the others tile by tile, so a forward
// never has to materialise a whole layer, or the [vocab, hidden] lm_head, in fp32.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "vlq/model/dtype.hpp"

namespace vlq::model {

struct TensorInfo;

class WeightMatrix {
 public:
  WeightMatrix() = default;
  // An fp32 buffer (not owned). data.size() must be rows·cols.
  WeightMatrix(std::span<const float> data, int64_t rows, int64_t cols);
  // A 2-D checkpoint tensor (not owned; the mapping must outlive the view).
  static WeightMatrix of(const TensorInfo& tensor);

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  DType dtype() const { return dtype_; }

  // The matrix as fp32 in place, when it is stored as 4-byte-aligned F32; empty otherwise.
  std::span<const float> f32() const { return f32_; }

  // Widens rows [r0, r1) × cols [c0, c1) into dst (row-major, leading dimension c1 − c0).
  void widen_tile(int64_t r0, int64_t r1, int64_t c0, int64_t c1, float* dst) const;

  // The whole matrix in fp32: f32() if available, else widened into `scratch` (in parallel).
  std::span<const float> to_f32(std::vector<float>& scratch) const;

 private:
  int64_t rows_ = 0, cols_ = 0;
  DType dtype_ = DType::kF32;
  std::span<const std::byte> bytes_;
  std::span<const float> f32_;
};

}  // namespace vlq::model
