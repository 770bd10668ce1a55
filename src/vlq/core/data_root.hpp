#pragma once
// Where the shared real data lives: --data-root flag, else $VLQ_DATA_ROOT, else ../shared/data
// relative to the working directory (the layout of a checkout beside `shared/`).
#include <filesystem>
#include <optional>
#include <string>

namespace vlq {

std::filesystem::path resolve_data_root(const std::optional<std::string>& flag_value);

}  // namespace vlq
