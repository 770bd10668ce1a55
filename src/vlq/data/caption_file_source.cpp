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
  for_each_line(contents, path, LineBreaks::kUniversal, [&](std::string_view line, int64_t number) {
    const std::string_view caption = strip_whitespace(line);
    if (caption.empty()) return;
    Sample sample;
    sample.caption_raw = std::string(line);
    sample.caption = std::string(caption);
    sample.origin.file = path;
    sample.origin.line = number;
    set.samples.push_back(std::move(sample));
  });
  return set;
}

}  // namespace vlq::data
