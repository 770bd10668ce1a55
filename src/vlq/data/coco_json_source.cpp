#include "vlq/data/coco_json_source.hpp"

#include <string>
#include <unordered_map>
#include <unordered_set>

#include "vlq/core/error.hpp"
#include "vlq/core/json.hpp"
#include "vlq/data/caption_text.hpp"

namespace vlq::data {

namespace {

// "captions_val2017.json" → "val2017"; other names → "" (file_name used as is).
std::string split_from_file_name(const std::filesystem::path& path) {
  std::string stem = path.stem().string();
  const std::string prefix = "captions_";
  return stem.rfind(prefix, 0) == 0 ? stem.substr(prefix.size()) : std::string();
}

const Json& required_array(const Json& root, const char* key, const std::filesystem::path& path) {
  auto it = root.find(key);
  if (it == root.end() || !it->is_array()) fail(path, std::string("missing array \"") + key + "\"");
  return *it;
}

int64_t required_integer(const Json& object, const char* key, const std::filesystem::path& path,
                         const char* what, size_t index) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) {
    fail(path, std::string(what) + "[" + std::to_string(index) + "]: missing integer \"" + key + "\"");
  }
  return it->get<int64_t>();
}

std::string required_string(const Json& object, const char* key, const std::filesystem::path& path,
                            const char* what, size_t index) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) {
    fail(path, std::string(what) + "[" + std::to_string(index) + "]: missing string \"" + key + "\"");
  }
  return it->get<std::string>();
}

}  // namespace

SampleSet read_coco_captions_json(const std::filesystem::path& path) {
  const Json root = read_json_file(path);
  if (!root.is_object()) fail(path, "expected a COCO captions JSON object");
  const std::string split = split_from_file_name(path);

  std::unordered_map<int64_t, std::string> file_name_by_image;
  const Json& images = required_array(root, "images", path);
  for (size_t i = 0; i < images.size(); ++i) {
    if (!images[i].is_object()) fail(path, "images[" + std::to_string(i) + "]: expected an object");
    file_name_by_image[required_integer(images[i], "id", path, "images", i)] =
        required_string(images[i], "file_name", path, "images", i);
  }

  SampleSet set;
  set.files.push_back(path);
  std::unordered_set<int64_t> seen_annotations;
  const Json& annotations = required_array(root, "annotations", path);
  for (size_t i = 0; i < annotations.size(); ++i) {
    const Json& annotation = annotations[i];
    if (!annotation.is_object()) fail(path, "annotations[" + std::to_string(i) + "]: expected an object");
    Sample sample;
    sample.origin.file = path;
    sample.origin.caption_id = required_integer(annotation, "id", path, "annotations", i);
    sample.origin.image_id = required_integer(annotation, "image_id", path, "annotations", i);
    sample.caption_raw = required_string(annotation, "caption", path, "annotations", i);
    if (!seen_annotations.insert(sample.origin.caption_id).second) {
      ++set.duplicates_dropped;
      continue;
    }
    auto image = file_name_by_image.find(sample.origin.image_id);
    if (image == file_name_by_image.end()) {
      fail(path, "annotations[" + std::to_string(i) + "]: image_id " +
                     std::to_string(sample.origin.image_id) + " is not in \"images\"");
    }
    sample.image_relpath = split.empty() ? image->second : split + "/" + image->second;
    sample.caption = std::string(strip_whitespace(sample.caption_raw));
    if (sample.caption.empty()) continue;
    set.samples.push_back(std::move(sample));
  }
  return set;
}

}  // namespace vlq::data
