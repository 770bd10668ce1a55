#pragma once
// The Qwen2.5-VL chat template, rendered natively. The template text is read from the
// checkpoint and identified by its sha256 against the known texts; anything else is rejected
// instead of being rendered with semantics it may not have.
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace vlq::text {

struct ContentItem {
  enum class Kind { kText, kImage, kVideo } kind;
  std::string text;  // only for kText
};

struct Message {
  std::string role;
  std::vector<ContentItem> content;
  // True when the HF message had `"content": "<string>"` (rendered verbatim, no vision items).
  bool content_is_string = false;
};

class ChatTemplate {
 public:
  // Reads chat_template.json (processor template) or chat_template.jinja, else
  // tokenizer_config.json "chat_template". Unknown template → vlq::Error
  // "<file>: chat template is not the known Qwen2.5-VL template (sha256 ...)".
  static ChatTemplate from_directory(const std::filesystem::path& dir);

  std::string render(std::span<const Message> messages, bool add_generation_prompt,
                     bool add_vision_id = false) const;

  // sha256 of the template text (hex).
  const std::string& fingerprint() const;

 private:
  enum class Variant { kMultimodal, kTextToolCalling };
  ChatTemplate(Variant variant, std::string fingerprint);
  std::string render_multimodal(std::span<const Message> messages, bool add_generation_prompt,
                                bool add_vision_id) const;
  std::string render_text_tool_calling(std::span<const Message> messages,
                                       bool add_generation_prompt) const;
  Variant variant_;
  std::string fingerprint_;
};

}  // namespace vlq::text
