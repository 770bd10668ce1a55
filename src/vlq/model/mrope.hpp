#pragma once
// Multimodal rotary tables of the Qwen2.5-VL language model (reference §4.2): inv_freq in fp32
// as HF computes it, each frequency index j takes its position from the temporal, height or
// width axis by `mrope_section`, and the two halves of head_dim repeat the same angles.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace vlq::model {

struct RopeTables {
  std::vector<float> cos;  // [rows, head_dim]
  std::vector<float> sin;  // [rows, head_dim]
};

// position_ids: [3, rows] (axis-major, rows = B·L flattened batch-major).
RopeTables mrope_tables(std::span<const int64_t> position_ids, int64_t rows, int64_t head_dim,
                        double rope_theta, const std::array<int64_t, 3>& mrope_section);

}  // namespace vlq::model
