#include "vlq/text/chat_template.hpp"

#include <string_view>

#include "vlq/core/error.hpp"
#include "vlq/core/file_io.hpp"
#include "vlq/core/json.hpp"
#include "vlq/text/sha256.hpp"

namespace vlq::text {
namespace fs = std::filesystem;
namespace {

// sha256 of the template texts whose semantics render() implements (UTF-8, exactly as stored in
// the checkpoint). Multimodal: Qwen2.5-VL chat_template.json. Text: the Qwen2.5 tool-calling
// template in Qwen2.5-VL's tokenizer_config.json (also what save_pretrained writes as
// chat_template.jinja for the tokenizer alone).
constexpr std::string_view kMultimodalSha256 = "a0bc6f6fc7a29a80017a433e8f03a1cc1236e838a944a2d034295a60c4f2fddb";
constexpr std::string_view kTextToolCallingSha256 = "44d5f08f3f72b837eaad09f13a54c1f9f4eb58d75240334548b7fd52a5437fa5";

constexpr std::string_view kDefaultSystem = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n";

struct TemplateSource {
  std::string text;
  fs::path path;
};

std::string template_from_json(const fs::path& path, const char* what) {
  const Json json = read_json_file(path);
  if (!json.is_object() || !json.contains("chat_template")) fail(path, std::string("no \"chat_template\" in ") + what);
  const Json& t = json["chat_template"];
  if (!t.is_string()) fail(path, "\"chat_template\" is not a string (named template lists are not supported)");
  return t.get<std::string>();
}

TemplateSource find_template(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail(dir, "checkpoint directory not found");
  if (fs::path p = dir / "chat_template.json"; fs::exists(p, ec)) return {template_from_json(p, "chat_template.json"), p};
  if (fs::path p = dir / "chat_template.jinja"; fs::exists(p, ec)) return {read_file(p), p};
  fs::path p = dir / "tokenizer_config.json";
  if (!fs::exists(p, ec)) fail(dir, "no chat_template.json, chat_template.jinja or tokenizer_config.json");
  return {template_from_json(p, "tokenizer_config.json"), p};
}

const std::string& text_of(const Message& m, const char* template_name) {
  if (!m.content_is_string || m.content.size() != 1 || m.content[0].kind != ContentItem::Kind::kText)
    fail(std::string(template_name) + ": message with role '" + m.role +
         "' needs string content (this template concatenates content as a string)");
  return m.content[0].text;
}

}  // namespace

ChatTemplate::ChatTemplate(Variant variant, std::string fingerprint)
    : variant_(variant), fingerprint_(std::move(fingerprint)) {}

ChatTemplate ChatTemplate::from_directory(const fs::path& dir) {
  const TemplateSource source = find_template(dir);
  std::string hash = sha256_hex(source.text);
  if (hash == kMultimodalSha256) return ChatTemplate(Variant::kMultimodal, std::move(hash));
  if (hash == kTextToolCallingSha256) return ChatTemplate(Variant::kTextToolCalling, std::move(hash));
  fail(source.path, "chat template is not the known Qwen2.5-VL template (sha256 " + hash + ")");
}

const std::string& ChatTemplate::fingerprint() const { return fingerprint_; }

std::string ChatTemplate::render(std::span<const Message> messages, bool add_generation_prompt,
                                 bool add_vision_id) const {
  return variant_ == Variant::kMultimodal ? render_multimodal(messages, add_generation_prompt, add_vision_id)
                                          : render_text_tool_calling(messages, add_generation_prompt);
}

// Mirrors chat_template.json: default system block unless the first message is a system
// message; string content verbatim; list content item by item with image/video placeholders
// (numbered across the whole conversation when add_vision_id); no separators.
std::string ChatTemplate::render_multimodal(std::span<const Message> messages, bool add_generation_prompt,
                                            bool add_vision_id) const {
  std::string out;
  int image_count = 0;
  int video_count = 0;
  for (size_t i = 0; i < messages.size(); ++i) {
    const Message& m = messages[i];
    if (i == 0 && m.role != "system") out += kDefaultSystem;
    out += "<|im_start|>";
    out += m.role;
    out += '\n';
    if (m.content_is_string) {
      for (const ContentItem& item : m.content) out += item.text;
    } else {
      for (const ContentItem& item : m.content) {
        switch (item.kind) {
          case ContentItem::Kind::kImage:
            ++image_count;
            if (add_vision_id) out += "Picture " + std::to_string(image_count) + ": ";
            out += "<|vision_start|><|image_pad|><|vision_end|>";
            break;
          case ContentItem::Kind::kVideo:
            ++video_count;
            if (add_vision_id) out += "Video " + std::to_string(video_count) + ": ";
            out += "<|vision_start|><|video_pad|><|vision_end|>";
            break;
          case ContentItem::Kind::kText:
            out += item.text;
            break;
        }
      }
    }
    out += "<|im_end|>\n";
  }
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

// Mirrors the text-only Qwen2.5 template for conversations without tools and without
// assistant tool_calls (neither can be expressed by Message): the first system message (or the
// default) opens the prompt, later system/user/assistant turns are rendered plainly,
// consecutive "tool" messages are wrapped in <tool_response> inside one user turn, and other
// roles are dropped, exactly as the Jinja text does.
std::string ChatTemplate::render_text_tool_calling(std::span<const Message> messages,
                                                   bool add_generation_prompt) const {
  static constexpr const char* kName = "chat template (Qwen2.5 text)";
  if (messages.empty()) fail(std::string(kName) + ": needs at least one message");
  std::string out;
  if (messages[0].role == "system") {
    out += "<|im_start|>system\n" + text_of(messages[0], kName) + "<|im_end|>\n";
  } else {
    out += kDefaultSystem;
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    const Message& m = messages[i];
    if (m.role == "user" || (m.role == "system" && i != 0) || m.role == "assistant") {
      out += "<|im_start|>" + m.role + "\n" + text_of(m, kName) + "<|im_end|>\n";
    } else if (m.role == "tool") {
      if (i == 0 || messages[i - 1].role != "tool") out += "<|im_start|>user";
      out += "\n<tool_response>\n" + text_of(m, kName) + "\n</tool_response>";
      if (i + 1 == messages.size() || messages[i + 1].role != "tool") out += "<|im_end|>\n";
    }
  }
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

}  // namespace vlq::text
