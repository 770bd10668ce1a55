#pragma once
// One error type for every user-facing failure. The message is a single line that names the
// file (or other input) and what is wrong with it; the CLI prints it and exits non-zero.
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace vlq {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// "<path>: <what>" — the shape of every input error.
[[noreturn]] inline void fail(const std::filesystem::path& path, std::string_view what) {
  throw Error(path.string() + ": " + std::string(what));
}

[[noreturn]] inline void fail(std::string_view what) { throw Error(std::string(what)); }

}  // namespace vlq
