#pragma once
// Sample → chat messages → rendered prompt → token ids (+ labels, + image patches).
//
// Prompt shapes:
//  * LabelMode::kAll (the seed's shape): one user message [image?, caption] rendered with
//    add_generation_prompt=true and the template's default system prompt; every real token is a
//    label except image pads.
//  * LabelMode::kCaption: user [image?, caption_prompt] then the caption as the assistant turn;
//    labels cover only the caption tokens and the closing <|im_end|> (not the prompt, not the
//    trailing "\n").
// Image items render as <|vision_start|><|image_pad|><|vision_end|>; the single <|image_pad|> is
// expanded to t*h*w/merge² ids as the HF processor does. Labels never score image pads.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vlq/data/example.hpp"
#include "vlq/data/sample.hpp"
#include "vlq/text/chat_template.hpp"
#include "vlq/text/tokenizer.hpp"
#include "vlq/vision/image_processor.hpp"

namespace vlq::data {

enum class LabelMode { kAll, kCaption };

std::string_view to_string(LabelMode mode);
// "all" | "caption"; anything else → vlq::Error naming `option`.
LabelMode parse_label_mode(std::string_view text, std::string_view option = "label_mode");

struct PromptConfig {
  LabelMode label_mode = LabelMode::kAll;
  std::string caption_prompt = "Describe this image.";
  int64_t max_seq_len = 256;  // <= 0: no truncation
  bool with_images = false;
  // Per-call overrides of the image processor's min/max pixels; unset = preprocessor_config.json.
  std::optional<int64_t> min_pixels;
  std::optional<int64_t> max_pixels;
};

class ExampleBuilder {
 public:
  // `images` is required when config.with_images; all references must outlive the builder.
  ExampleBuilder(const text::Tokenizer& tokenizer, const text::ChatTemplate& chat_template,
                 PromptConfig config, const vision::ImageProcessor* images = nullptr);

  const PromptConfig& config() const { return config_; }

  Example build(const Sample& sample, int64_t sample_index) const;

  // Examples for samples[indices[i]] in the order of `indices`, built on up to `threads`
  // threads (tokenization dominates the cost and is independent per sample).
  std::vector<Example> build_all(std::span<const Sample> samples, std::span<const size_t> indices,
                                 int threads) const;

 private:
  void append_tokens(std::string_view text, std::vector<int32_t>& ids,
                     const vision::ProcessedImage* image) const;

  const text::Tokenizer& tokenizer_;
  const text::ChatTemplate& chat_template_;
  PromptConfig config_;
  const vision::ImageProcessor* images_;
  int32_t image_pad_id_;
  vision::ResizeBounds image_bounds_;  // processor defaults with the config overrides applied
};

}  // namespace vlq::data
