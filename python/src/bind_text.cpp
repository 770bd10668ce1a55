// Python bindings for the text layer: the Qwen2 byte-level BPE tokenizer and the Qwen2.5-VL chat
// template. Messages are taken in Hugging Face's shape (list of {"role", "content"} dicts, content
// a string or a list of {"type": ...} items) and mapped onto the same branches the Jinja template
// takes. Errors surface as RuntimeError carrying vlq's one-line message.
#include <nanobind/nanobind.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "vlq/core/error.hpp"
#include "vlq/text/chat_template.hpp"
#include "vlq/text/tokenizer.hpp"

namespace nb = nanobind;
using namespace nb::literals;
using vlq::text::ChatTemplate;
using vlq::text::ContentItem;
using vlq::text::Message;
using vlq::text::TokenId;
using vlq::text::Tokenizer;

namespace {

// `key in item` and `item[key] == value` with Jinja's semantics for a missing key (undefined,
// compares unequal).
bool has_key(const nb::dict& d, const char* key) { return d.contains(key); }
bool key_equals(const nb::dict& d, const char* key, const char* value) {
  if (!d.contains(key)) return false;
  nb::handle v = d[key];
  return nb::isinstance<nb::str>(v) && nb::cast<std::string>(v) == value;
}

std::string text_value(nb::handle v, const char* where) {
  if (!nb::isinstance<nb::str>(v)) throw nb::type_error((std::string(where) + " must be a str").c_str());
  return nb::cast<std::string>(v);
}

// The branch order of the template: image, then video, then text; other items render nothing.
std::vector<Message> to_messages(const nb::list& py_messages) {
  std::vector<Message> messages;
  messages.reserve(py_messages.size());
  for (nb::handle h : py_messages) {
    if (!nb::isinstance<nb::dict>(h)) throw nb::type_error("each message must be a dict");
    nb::dict m = nb::borrow<nb::dict>(h);
    if (!m.contains("role")) throw nb::key_error("message without 'role'");
    if (!m.contains("content")) throw nb::key_error("message without 'content'");
    Message message;
    message.role = text_value(m["role"], "message['role']");
    nb::handle content = m["content"];
    if (nb::isinstance<nb::str>(content)) {
      message.content_is_string = true;
      message.content.push_back({ContentItem::Kind::kText, nb::cast<std::string>(content)});
    } else if (nb::isinstance<nb::list>(content) || nb::isinstance<nb::tuple>(content)) {
      for (nb::handle item_handle : content) {
        if (!nb::isinstance<nb::dict>(item_handle)) throw nb::type_error("content items must be dicts");
        nb::dict item = nb::borrow<nb::dict>(item_handle);
        if (key_equals(item, "type", "image") || has_key(item, "image") || has_key(item, "image_url")) {
          message.content.push_back({ContentItem::Kind::kImage, {}});
        } else if (key_equals(item, "type", "video") || has_key(item, "video")) {
          message.content.push_back({ContentItem::Kind::kVideo, {}});
        } else if (has_key(item, "text")) {
          message.content.push_back({ContentItem::Kind::kText, text_value(item["text"], "content item 'text'")});
        }
      }
    } else {
      throw nb::type_error("message['content'] must be a str or a list of dicts");
    }
    messages.push_back(std::move(message));
  }
  return messages;
}

nb::list ids_to_list(const std::vector<TokenId>& ids) {
  nb::list out;
  for (TokenId id : ids) out.append(nb::int_(id));
  return out;
}

}  // namespace

void bind_text(nb::module_& m) {
  nb::class_<Tokenizer>(m, "Tokenizer",
                        "Qwen2 byte-level BPE tokenizer (ids identical to HF tokenizers).")
      .def_static("from_directory", &Tokenizer::from_directory, "dir"_a,
                  "Loads tokenizer.json, else vocab.json + merges.txt + tokenizer_config.json.")
      .def(
          "encode",
          [](const Tokenizer& t, std::string_view text) {
            std::vector<TokenId> ids;
            {
              nb::gil_scoped_release release;
              ids = t.encode(text);
            }
            return ids_to_list(ids);
          },
          "text"_a, "Token ids of `text` (no special tokens are added).")
      .def(
          "encode_batch",
          [](const Tokenizer& t, std::vector<std::string> texts, int num_threads) {
            std::vector<std::vector<TokenId>> all(texts.size());
            {
              nb::gil_scoped_release release;
              const size_t threads = std::clamp<size_t>(static_cast<size_t>(std::max(num_threads, 1)), 1,
                                                        std::max<size_t>(texts.size(), 1));
              auto work = [&](size_t first, size_t step) {
                for (size_t i = first; i < texts.size(); i += step) all[i] = t.encode(texts[i]);
              };
              if (threads == 1) {
                work(0, 1);
              } else {
                std::vector<std::jthread> pool;
                std::vector<std::exception_ptr> errors(threads);
                for (size_t k = 0; k < threads; ++k)
                  pool.emplace_back([&, k] {
                    try {
                      work(k, threads);
                    } catch (...) {
                      errors[k] = std::current_exception();
                    }
                  });
                pool.clear();  // joins
                for (auto& e : errors)
                  if (e) std::rethrow_exception(e);
              }
            }
            nb::list out;
            for (const auto& ids : all) out.append(ids_to_list(ids));
            return out;
          },
          "texts"_a, "num_threads"_a = 1, "encode() of each text; num_threads > 1 encodes in parallel.")
      .def(
          "decode",
          [](const Tokenizer& t, const std::vector<TokenId>& ids, bool skip_special_tokens) {
            return t.decode(ids, skip_special_tokens);
          },
          "ids"_a, "skip_special_tokens"_a = false,
          "Text of `ids`; invalid UTF-8 becomes U+FFFD. Unknown ids raise.")
      .def("token_to_id", &Tokenizer::token_to_id, "token"_a)
      .def("id_to_token", &Tokenizer::id_to_token, "id"_a)
      .def("__len__", &Tokenizer::size)
      .def_prop_ro("pad_token_id", &Tokenizer::pad_token_id)
      .def_prop_ro("eos_token_id", &Tokenizer::eos_token_id)
      .def_prop_ro("fingerprint", &Tokenizer::fingerprint)
      .def_prop_ro("added_tokens", [](const Tokenizer& t) {
        nb::list out;
        for (const auto& a : t.added_tokens()) out.append(nb::make_tuple(a.content, a.id, a.special));
        return out;
      });

  nb::class_<ChatTemplate>(m, "ChatTemplate", "The Qwen2.5-VL chat template, rendered natively.")
      .def_static("from_directory", &ChatTemplate::from_directory, "dir"_a,
                  "chat_template.json, else chat_template.jinja, else tokenizer_config.json; "
                  "unknown templates raise.")
      .def(
          "render",
          [](const ChatTemplate& t, const nb::list& messages, bool add_generation_prompt, bool add_vision_id) {
            const std::vector<Message> converted = to_messages(messages);
            return t.render(converted, add_generation_prompt, add_vision_id);
          },
          "messages"_a, "add_generation_prompt"_a = false, "add_vision_id"_a = false,
          "Same string as HF apply_chat_template(messages, tokenize=False, ...).")
      .def_prop_ro("fingerprint", &ChatTemplate::fingerprint);
}
