#include "vlq/core/json.hpp"

#include "vlq/core/error.hpp"
#include "vlq/core/file_io.hpp"

namespace vlq {

Json parse_json(std::string_view text, const std::filesystem::path& origin) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    // nlohmann prefixes "[json.exception.parse_error.101] "; keep the human part.
    if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    fail(origin, "malformed JSON: " + what);
  }
}

Json read_json_file(const std::filesystem::path& path) { return parse_json(read_file(path), path); }

}  // namespace vlq
