#include "vlq/data/collate.hpp"

#include <algorithm>

#include "vlq/core/error.hpp"
#include "vlq/data/mrope_positions.hpp"

namespace vlq::data {

Batch collate(std::span<const Example> examples, std::span<const size_t> rows, int64_t pad_token_id) {
  Batch batch;
  batch.batch_size = static_cast<int64_t>(rows.size());
  for (size_t row : rows) {
    if (row >= examples.size()) fail("collate: row index out of range");
    batch.seq_len = std::max(batch.seq_len, examples[row].length());
  }
  const size_t cells = rows.size() * static_cast<size_t>(batch.seq_len);
  batch.input_ids.assign(cells, pad_token_id);
  batch.attention_mask.assign(cells, 0);
  batch.labels.assign(cells, kIgnoreLabel);
  batch.prompt_text.reserve(rows.size());
  batch.sample_index.reserve(rows.size());
  size_t patch_values = 0;
  for (size_t row : rows) patch_values += examples[row].pixel_values.size();
  batch.pixel_values.reserve(patch_values);

  for (size_t b = 0; b < rows.size(); ++b) {
    const Example& example = examples[rows[b]];
    const size_t offset = b * static_cast<size_t>(batch.seq_len);
    std::copy(example.input_ids.begin(), example.input_ids.end(), batch.input_ids.begin() + offset);
    std::fill_n(batch.attention_mask.begin() + offset, example.input_ids.size(), 1);
    std::copy(example.labels.begin(), example.labels.end(), batch.labels.begin() + offset);
    batch.prompt_text.push_back(example.prompt_text);
    batch.sample_index.push_back(example.sample_index);
    if (example.has_image) {
      batch.pixel_values.insert(batch.pixel_values.end(), example.pixel_values.begin(),
                                example.pixel_values.end());
      batch.image_grid_thw.insert(batch.image_grid_thw.end(), example.grid_thw.begin(),
                                  example.grid_thw.end());
    }
  }
  batch.position_ids = compute_mrope_positions(batch.batch_size, batch.seq_len, batch.input_ids,
                                               batch.attention_mask, batch.image_grid_thw,
                                               kSpatialMergeSize)
                           .position_ids;
  return batch;
}

}  // namespace vlq::data
