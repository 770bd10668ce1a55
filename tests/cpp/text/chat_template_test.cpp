#include "vlq/text/chat_template.hpp"

#include <gtest/gtest.h>

#include "text_test_support.hpp"
#include "vlq/core/error.hpp"

using namespace vlq::text;
using namespace vlq::text::testing;
using Kind = ContentItem::Kind;

// Expected strings are the renderings listed in reference §2 (a)–(e).
TEST(ChatTemplate, ReferenceRenderings) {
  const ChatTemplate t = ChatTemplate::from_directory(qwen_dir());
  const std::string sys = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n";
  const std::string vis = "<|vision_start|><|image_pad|><|vision_end|>";
  // (a) string and list content render alike
  std::vector<Message> a{{"user", {{Kind::kText, "Describe this image."}}, true}};
  std::vector<Message> a_list{{"user", {{Kind::kText, "Describe this image."}}, false}};
  const std::string expected_a = sys + "<|im_start|>user\nDescribe this image.<|im_end|>\n<|im_start|>assistant\n";
  EXPECT_EQ(t.render(a, true), expected_a);
  EXPECT_EQ(t.render(a_list, true), expected_a);
  // (b) image then text
  std::vector<Message> b{{"user", {{Kind::kImage, ""}, {Kind::kText, "Describe this image."}}, false}};
  EXPECT_EQ(t.render(b, true), sys + "<|im_start|>user\n" + vis + "Describe this image.<|im_end|>\n<|im_start|>assistant\n");
  // (c) explicit system replaces the default
  std::vector<Message> c{{"system", {{Kind::kText, "You are a captioner."}}, true}, b[0]};
  EXPECT_EQ(t.render(c, true), "<|im_start|>system\nYou are a captioner.<|im_end|>\n<|im_start|>user\n" + vis +
                                   "Describe this image.<|im_end|>\n<|im_start|>assistant\n");
  // (d) teacher forcing
  std::vector<Message> d{b[0], {"assistant", {{Kind::kText, "A cat on a mat."}}, true}};
  EXPECT_EQ(t.render(d, false), sys + "<|im_start|>user\n" + vis +
                                    "Describe this image.<|im_end|>\n<|im_start|>assistant\nA cat on a mat.<|im_end|>\n");
  // (e) vision ids
  std::vector<Message> e{{"user", {{Kind::kImage, ""}, {Kind::kImage, ""}, {Kind::kText, "Compare."}}, false}};
  EXPECT_EQ(t.render(e, false, true),
            sys + "<|im_start|>user\nPicture 1: " + vis + "Picture 2: " + vis + "Compare.<|im_end|>\n");
  EXPECT_EQ(t.fingerprint(), "a0bc6f6fc7a29a80017a433e8f03a1cc1236e838a944a2d034295a60c4f2fddb");
}

TEST(ChatTemplate, UnknownTemplateIsRejected) {
  TempDir dir("unknown_template");
  dir.write("chat_template.json", R"({"chat_template": "{{ messages }}"})");
  try {
    ChatTemplate::from_directory(dir.path());
    FAIL() << "expected vlq::Error";
  } catch (const vlq::Error& err) {
    const std::string what = err.what();
    EXPECT_EQ(what.rfind((dir.path() / "chat_template.json").string() +
                             ": chat template is not the known Qwen2.5-VL template (sha256 ",
                         0),
              0u)
        << what;
  }
}

TEST(ChatTemplate, MissingAndMalformedFiles) {
  TempDir dir("no_template");
  EXPECT_THROW(ChatTemplate::from_directory(dir.path()), vlq::Error);
  dir.write("chat_template.json", "{not json");
  try {
    ChatTemplate::from_directory(dir.path());
    FAIL();
  } catch (const vlq::Error& err) {
    EXPECT_EQ(std::string(err.what()).rfind((dir.path() / "chat_template.json").string() + ": malformed JSON", 0), 0u);
  }
}
