#include "vlq/data/caption_file_source.hpp"

#include <string>
#include <string_view>

#include "vlq/core/error.hpp"
#include "vlq/core/file_io.hpp"
#include "vlq/data/caption_text.hpp"

namespace vlq::data {

SampleSet read_caption_file(const std::filesystem::path& path) {
  const std::string contents = read_file(path);
  SampleSet set;
  set.files.push_back(path);
  std::string_view rest = contents;
  int64_t line_number = 0;
  while (!rest.empty()) {
    // A plain scan: find_first_of calls memchr on the delimiter set for every byte.
    size_t end = 0;
    while (end < rest.size() && rest[end] != '\n' && rest[end] != '\r') ++end;
    if (end == rest.size()) end = std::string_view::npos;
    std::string_view line = rest.substr(0, end);
    if (end == std::string_view::npos) {
      rest = {};
    } else {
      size_t terminator = (rest[end] == '\r' && end + 1 < rest.size() && rest[end + 1] == '\n') ? 2 : 1;
      rest.remove_prefix(end + terminator);
    }
    ++line_number;
    if (auto bad = find_invalid_utf8(line)) {
      fail(path, "line " + std::to_string(line_number) + ": invalid UTF-8 at byte " +
                     std::to_string(*bad + 1) + " of the line");
    }
    std::string_view caption = strip_whitespace(line);
    if (caption.empty()) continue;
    Sample sample;
    sample.caption_raw = std::string(line);
    sample.caption = std::string(caption);
    sample.origin.file = path;
    sample.origin.line = line_number;
    set.samples.push_back(std::move(sample));
  }
  return set;
}

}  // namespace vlq::data
