#include "vlq/eval/batch_inputs.hpp"

#include <string>

#include "vlq/core/error.hpp"

namespace vlq::eval {

model::ModelInputs model_inputs(const data::Batch& batch) {
  const size_t n = static_cast<size_t>(batch.batch_size * batch.seq_len);
  auto check = [&](size_t size, size_t expected, const char* field) {
    if (size != expected)
      fail(std::string("batch: ") + field + " has " + std::to_string(size) + " values, expected " +
           std::to_string(expected));
  };
  check(batch.input_ids.size(), n, "input_ids");
  check(batch.attention_mask.size(), n, "attention_mask");
  if (!batch.labels.empty()) check(batch.labels.size(), n, "labels");
  if (!batch.position_ids.empty()) check(batch.position_ids.size(), 3 * n, "position_ids");
  model::ModelInputs in;
  in.batch_size = batch.batch_size;
  in.seq_len = batch.seq_len;
  in.input_ids = batch.input_ids;
  in.attention_mask = batch.attention_mask;
  in.position_ids = batch.position_ids;
  in.pixel_values = batch.pixel_values;
  in.image_grid_thw = batch.image_grid_thw;
  return in;
}

}  // namespace vlq::eval
