#include "vlq/data/example_builder.hpp"

#include <algorithm>
#include <exception>
#include <thread>

#include "vlq/core/error.hpp"
#include "vlq/data/batch.hpp"
#include "vlq/data/sample_source.hpp"

namespace vlq::data {

using text::ContentItem;
using text::Message;

std::string_view to_string(LabelMode mode) { return mode == LabelMode::kAll ? "all" : "caption"; }

LabelMode parse_label_mode(std::string_view text, std::string_view option) {
  if (text == "all") return LabelMode::kAll;
  if (text == "caption") return LabelMode::kCaption;
  fail(std::string(option) + ": expected 'all' or 'caption', got '" + std::string(text) + "'");
}

ExampleBuilder::ExampleBuilder(const text::Tokenizer& tokenizer,
                               const text::ChatTemplate& chat_template, PromptConfig config,
                               const vision::ImageProcessor* images)
    : tokenizer_(tokenizer), chat_template_(chat_template), config_(std::move(config)),
      images_(images) {
  if (config_.with_images && images_ == nullptr) fail("ExampleBuilder: images need an image processor");
  auto pad = tokenizer_.token_to_id("<|image_pad|>");
  if (!pad) fail("tokenizer: no <|image_pad|> token (not a Qwen2-VL tokenizer)");
  image_pad_id_ = *pad;
  if (images_ != nullptr) {
    image_bounds_ = images_->config().bounds;
    if (config_.min_pixels) image_bounds_.min_pixels = *config_.min_pixels;
    if (config_.max_pixels) image_bounds_.max_pixels = *config_.max_pixels;
  }
}

void ExampleBuilder::append_tokens(std::string_view text, std::vector<int32_t>& ids,
                                   const vision::ProcessedImage* image) const {
  const size_t start = ids.size();
  tokenizer_.encode_append(text, ids);
  if (image == nullptr) return;
  // The template emits one <|image_pad|> per image; HF's processor replaces it with one pad per
  // merged patch before tokenizing. Expanding the id is equivalent and avoids a huge string.
  const int64_t count = images_->num_image_tokens(*image);
  auto pad = std::find(ids.begin() + static_cast<std::ptrdiff_t>(start), ids.end(), image_pad_id_);
  if (pad == ids.end()) return;
  ids.insert(pad + 1, static_cast<size_t>(count - 1), image_pad_id_);
}

Example ExampleBuilder::build(const Sample& sample, int64_t sample_index) const {
  Example example;
  example.sample_index = sample_index;
  vision::ProcessedImage image;
  const bool with_image = config_.with_images;
  if (with_image) {
    image = images_->process_file(sample.image_path, &image_bounds_);
    example.has_image = true;
    example.grid_thw = image.grid_thw;
  }

  Message user{"user", {}, false};
  if (with_image) user.content.push_back(ContentItem{ContentItem::Kind::kImage, {}});
  std::vector<int32_t> ids;
  std::vector<int32_t> labels;
  if (config_.label_mode == LabelMode::kAll) {
    user.content.push_back(ContentItem{ContentItem::Kind::kText, sample.caption});
    const Message messages[] = {user};
    example.prompt_text = chat_template_.render(messages, /*add_generation_prompt=*/true);
    append_tokens(example.prompt_text, ids, with_image ? &image : nullptr);
    labels = ids;
  } else {
    user.content.push_back(ContentItem{ContentItem::Kind::kText, config_.caption_prompt});
    const Message prompt_only[] = {user};
    const std::string prompt = chat_template_.render(prompt_only, /*add_generation_prompt=*/true);
    Message assistant{"assistant", {ContentItem{ContentItem::Kind::kText, sample.caption}}, false};
    const Message conversation[] = {user, assistant};
    example.prompt_text = chat_template_.render(conversation, /*add_generation_prompt=*/false);
    if (example.prompt_text.compare(0, prompt.size(), prompt) != 0) {
      fail("chat template: the assistant turn does not extend the generation prompt");
    }
    // Tokenizing the two parts separately is exact here: the prompt ends in "\n" after a special
    // token run and the caption is stripped, so no pre-token spans the boundary (the Python
    // oracle test checks this against HF on every caption).
    append_tokens(prompt, ids, with_image ? &image : nullptr);
    const size_t prompt_length = ids.size();
    append_tokens(std::string_view(example.prompt_text).substr(prompt.size()), ids, nullptr);
    labels.assign(ids.size(), static_cast<int32_t>(kIgnoreLabel));
    // Score the caption and the closing <|im_end|>, not what the template adds after it.
    size_t end = ids.size();
    const int32_t im_end = tokenizer_.eos_token_id();
    while (end > prompt_length && ids[end - 1] != im_end) --end;
    std::copy(ids.begin() + static_cast<std::ptrdiff_t>(prompt_length),
              ids.begin() + static_cast<std::ptrdiff_t>(end),
              labels.begin() + static_cast<std::ptrdiff_t>(prompt_length));
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == image_pad_id_) labels[i] = static_cast<int32_t>(kIgnoreLabel);
  }

  example.untruncated_length = static_cast<int64_t>(ids.size());
  if (config_.max_seq_len > 0 && example.untruncated_length > config_.max_seq_len) {
    ids.resize(static_cast<size_t>(config_.max_seq_len));
    labels.resize(ids.size());
    if (with_image) {
      const auto kept = std::count(ids.begin(), ids.end(), image_pad_id_);
      if (kept != images_->num_image_tokens(image)) {
        fail(sample.origin.file, describe_origin(sample.origin) + ": max_seq_len " +
                                     std::to_string(config_.max_seq_len) +
                                     " cuts into the image tokens (" +
                                     std::to_string(images_->num_image_tokens(image)) + ")");
      }
    }
  }
  example.input_ids = std::move(ids);
  example.labels = std::move(labels);
  if (with_image) example.pixel_values = std::move(image.pixel_values);
  return example;
}

std::vector<Example> ExampleBuilder::build_all(std::span<const Sample> samples,
                                               std::span<const size_t> indices,
                                               int threads) const {
  std::vector<Example> out(indices.size());
  const size_t workers =
      std::clamp<size_t>(static_cast<size_t>(std::max(threads, 1)), 1, std::max<size_t>(indices.size(), 1));
  // Each worker walks its indices in increasing order and stops at its first failure, so the
  // smallest failing index over all workers is the first bad sample: errors are deterministic.
  std::vector<std::exception_ptr> errors(workers);
  std::vector<size_t> error_index(workers, indices.size());
  auto work = [&](size_t worker) {
    for (size_t i = worker; i < indices.size(); i += workers) {
      try {
        out[i] = build(samples[indices[i]], static_cast<int64_t>(indices[i]));
      } catch (...) {
        errors[worker] = std::current_exception();
        error_index[worker] = i;
        return;
      }
    }
  };
  {
    std::vector<std::jthread> pool;
    for (size_t w = 1; w < workers; ++w) pool.emplace_back(work, w);
    work(0);
  }
  auto first = std::min_element(error_index.begin(), error_index.end());
  if (*first < indices.size()) std::rethrow_exception(errors[static_cast<size_t>(first - error_index.begin())]);
  return out;
}

}  // namespace vlq::data
