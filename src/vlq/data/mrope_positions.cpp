#include "vlq/data/mrope_positions.hpp"

#include <algorithm>
#include <string>

#include "vlq/core/error.hpp"

namespace vlq::data {
namespace {

[[noreturn]] void bad_input(const std::string& what) { fail("mrope positions: " + what); }

// Positions of one unpadded row (the tokens with attention_mask == 1), HF's per-row loop:
// appends T, H, W positions for each kept token to the three output vectors.
void row_positions(const std::vector<int64_t>& tokens, std::span<const int64_t> image_grid_thw,
                   size_t& image_index, int64_t merge, const MropeTokenIds& ids,
                   std::vector<int64_t> (&axes)[3]) {
  const size_t n = tokens.size();
  // HF counts an image for every <|vision_start|> immediately followed by <|image_pad|>, and a
  // video for every one followed by <|video_pad|> (videos are not produced by vlq).
  int64_t image_count = 0;
  for (size_t i = 0; i + 1 < n; ++i) {
    if (tokens[i] != ids.vision_start) continue;
    if (tokens[i + 1] == ids.image) ++image_count;
    if (tokens[i + 1] == ids.video) bad_input("video tokens are not supported");
  }
  int64_t next_position = 0;  // HF's st_idx: 1 + largest position emitted so far
  size_t st = 0;
  auto emit_text = [&](size_t length) {
    for (size_t k = 0; k < length; ++k) {
      for (auto& axis : axes) axis.push_back(next_position + static_cast<int64_t>(k));
    }
    next_position += static_cast<int64_t>(length);
  };
  for (int64_t image = 0; image < image_count; ++image) {
    const auto found = std::find(tokens.begin() + static_cast<std::ptrdiff_t>(std::min(st, n)),
                                 tokens.end(), ids.image);
    if (found == tokens.end()) bad_input("an image's <|image_pad|> run ends before its grid does");
    const size_t ed = static_cast<size_t>(found - tokens.begin());
    if (image_index >= image_grid_thw.size() / 3) {
      bad_input("more images in input_ids than rows in image_grid_thw (" +
                std::to_string(image_grid_thw.size() / 3) + ")");
    }
    const int64_t t = image_grid_thw[3 * image_index];
    const int64_t h = image_grid_thw[3 * image_index + 1] / merge;
    const int64_t w = image_grid_thw[3 * image_index + 2] / merge;
    ++image_index;
    if (t <= 0 || h <= 0 || w <= 0) bad_input("image_grid_thw rows must be positive");
    emit_text(ed - st);
    const int64_t base = next_position;
    // Images have second_per_grid_t = 0, so the temporal index is `base` for every frame.
    for (int64_t ti = 0; ti < t; ++ti) {
      for (int64_t hi = 0; hi < h; ++hi) {
        for (int64_t wi = 0; wi < w; ++wi) {
          axes[0].push_back(base);
          axes[1].push_back(base + hi);
          axes[2].push_back(base + wi);
        }
      }
    }
    next_position = base + std::max({int64_t{1}, h, w});
    st = ed + static_cast<size_t>(t * h * w);
  }
  // HF also ends here when the last grid ran past the row's end (its positions then outnumber
  // the tokens, and HF fails on the scatter); refuse that instead.
  if (axes[0].size() > n) bad_input("an image grid is larger than its <|image_pad|> run");
  if (st < n) emit_text(n - st);
}

}  // namespace

MropePositions compute_mrope_positions(int64_t batch_size, int64_t seq_len,
                                       std::span<const int64_t> input_ids,
                                       std::span<const int64_t> attention_mask,
                                       std::span<const int64_t> image_grid_thw,
                                       int64_t spatial_merge_size, const MropeTokenIds& ids) {
  if (batch_size < 0 || seq_len < 0) bad_input("negative shape");
  const size_t cells = static_cast<size_t>(batch_size) * static_cast<size_t>(seq_len);
  if (input_ids.size() != cells) bad_input("input_ids is not [batch_size, seq_len]");
  if (!attention_mask.empty() && attention_mask.size() != cells) {
    bad_input("attention_mask is not [batch_size, seq_len]");
  }
  if (image_grid_thw.size() % 3 != 0) bad_input("image_grid_thw is not [n, 3]");
  if (spatial_merge_size <= 0) bad_input("spatial_merge_size must be positive");
  for (int64_t m : attention_mask) {
    if (m != 0 && m != 1) bad_input("attention_mask values must be 0 or 1");
  }

  MropePositions result;
  const size_t plane = cells;
  // HF (4.5x) fills every slot with 1 and overwrites the unmasked ones; padding keeps 1.
  result.position_ids.assign(3 * plane, 1);
  result.rope_deltas.assign(static_cast<size_t>(batch_size), 0);
  size_t image_index = 0;
  std::vector<int64_t> tokens;
  std::vector<int64_t> axes[3];
  for (int64_t b = 0; b < batch_size; ++b) {
    const size_t row = static_cast<size_t>(b) * static_cast<size_t>(seq_len);
    if (image_grid_thw.empty()) {
      // HF's text-only branch: cumsum(mask) - 1 on the kept tokens on all three axes; padding
      // holds 1, and the row maximum is taken over the padded row (so a padded row counts 1).
      // Written directly: this runs for every text batch.
      int64_t next = 0;
      for (int64_t i = 0; i < seq_len; ++i) {
        if (!attention_mask.empty() && attention_mask[row + i] != 1) continue;
        for (int a = 0; a < 3; ++a) result.position_ids[a * plane + row + i] = next;
        ++next;
      }
      const int64_t max_position = std::max<int64_t>(next < seq_len ? 1 : 0, next - 1);
      result.rope_deltas[b] = max_position + 1 - seq_len;
      continue;
    }
    tokens.clear();
    for (auto& axis : axes) axis.clear();
    for (int64_t i = 0; i < seq_len; ++i) {
      if (attention_mask.empty() || attention_mask[row + i] == 1) tokens.push_back(input_ids[row + i]);
    }
    if (tokens.empty()) bad_input("row " + std::to_string(b) + " has no unmasked tokens");
    row_positions(tokens, image_grid_thw, image_index, spatial_merge_size, ids, axes);
    // The image branch takes the row maximum over the real tokens only.
    int64_t max_position = 0;
    size_t k = 0;
    for (int64_t i = 0; i < seq_len; ++i) {
      if (!attention_mask.empty() && attention_mask[row + i] != 1) continue;
      for (int a = 0; a < 3; ++a) {
        result.position_ids[a * plane + row + i] = axes[a][k];
        max_position = std::max(max_position, axes[a][k]);
      }
      ++k;
    }
    result.rope_deltas[b] = max_position + 1 - seq_len;
  }
  return result;
}

}  // namespace vlq::data
