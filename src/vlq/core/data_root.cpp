#include "vlq/core/data_root.hpp"

#include <cstdlib>

namespace vlq {

std::filesystem::path resolve_data_root(const std::optional<std::string>& flag_value) {
  if (flag_value && !flag_value->empty()) return *flag_value;
  if (const char* env = std::getenv("VLQ_DATA_ROOT"); env != nullptr && *env != '\0') return env;
  return std::filesystem::path("..") / "shared" / "data";
}

}  // namespace vlq
