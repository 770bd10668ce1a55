#include "vlq/data/jsonl_source.hpp"

#include <cctype>
#include <string>
#include <string_view>

#include "vlq/core/error.hpp"
#include "vlq/core/file_io.hpp"
#include "vlq/core/json.hpp"
#include "vlq/data/caption_text.hpp"

namespace vlq::data {

namespace {

// COCO image files are named <12-digit zero-padded id>.jpg.
int64_t image_id_from_relpath(std::string_view relpath) {
  std::string_view name = relpath.substr(relpath.find_last_of('/') + 1);
  size_t dot = name.find('.');
  std::string_view stem = name.substr(0, dot);
  if (stem.size() != 12) return -1;
  int64_t id = 0;
  for (char c : stem) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
    id = id * 10 + (c - '0');
  }
  return id;
}

int64_t optional_integer(const Json& object, const char* key, const std::filesystem::path& path,
                         int64_t line) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return -1;
  if (!it->is_number_integer()) {
    fail(path, "line " + std::to_string(line) + ": \"" + key + "\" is not an integer");
  }
  return it->get<int64_t>();
}

}  // namespace

SampleSet read_jsonl_file(const std::filesystem::path& path) {
  const std::string contents = read_file(path);
  SampleSet set;
  set.files.push_back(path);
  for_each_line(contents, path, LineBreaks::kNewline, [&](std::string_view line, int64_t line_number) {
    if (strip_whitespace(line).empty()) return;
    const std::string where = "line " + std::to_string(line_number) + ": ";
    Json object;
    try {
      object = Json::parse(line.begin(), line.end());
    } catch (const Json::parse_error&) {
      fail(path, where + "malformed JSON");
    }
    if (!object.is_object()) fail(path, where + "expected a JSON object");
    auto caption = object.find("caption");
    if (caption == object.end() || !caption->is_string()) {
      fail(path, where + "missing string field \"caption\"");
    }
    Sample sample;
    sample.caption_raw = caption->get<std::string>();
    sample.caption = std::string(strip_whitespace(sample.caption_raw));
    for (const char* key : {"image_relpath", "image"}) {
      auto image = object.find(key);
      if (image == object.end() || image->is_null()) continue;
      if (!image->is_string()) fail(path, where + "\"" + key + "\" is not a string");
      sample.image_relpath = image->get<std::string>();
      break;
    }
    sample.origin.file = path;
    sample.origin.line = line_number;
    sample.origin.caption_id = optional_integer(object, "caption_id", path, line_number);
    sample.origin.image_id = optional_integer(object, "image_id", path, line_number);
    if (sample.origin.image_id < 0) sample.origin.image_id = image_id_from_relpath(sample.image_relpath);
    if (sample.caption.empty()) return;
    set.samples.push_back(std::move(sample));
  });
  return set;
}

}  // namespace vlq::data
