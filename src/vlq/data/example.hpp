#pragma once
// An Example is one tokenized sample: what collation pads into a Batch and what the on-disk
// dataset stores. Token ids are int32 (the vocabulary fits) to halve memory and shard size.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace vlq::data {

struct Example {
  std::vector<int32_t> input_ids;  // unpadded, already truncated to max_seq_len
  std::vector<int32_t> labels;     // same length; kIgnoreLabel (-100) where nothing is scored
  std::string prompt_text;         // the rendered chat-template text that was tokenized
  int64_t sample_index = 0;        // index of the sample in its source (after dedup)
  int64_t untruncated_length = 0;  // token count before truncation
  bool has_image = false;
  std::array<int64_t, 3> grid_thw{};  // image_grid_thw row when has_image
  std::vector<float> pixel_values;    // [t*h*w, 1176] when has_image

  int64_t length() const { return static_cast<int64_t>(input_ids.size()); }
  bool truncated() const { return untruncated_length > length(); }
  int64_t label_count() const;
};

}  // namespace vlq::data
