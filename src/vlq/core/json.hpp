#pragma once
// JSON via nlohmann/json (Debian nlohmann-json3-dev), with file-named one-line errors.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>

namespace vlq {

using Json = nlohmann::json;

// Parses a JSON file; malformed JSON → vlq::Error "<path>: malformed JSON: ...".
Json read_json_file(const std::filesystem::path& path);

// Parses JSON text; `origin` names where it came from in error messages.
Json parse_json(std::string_view text, const std::filesystem::path& origin);

}  // namespace vlq
