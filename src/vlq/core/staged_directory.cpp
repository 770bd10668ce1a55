#include "vlq/core/staged_directory.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

#include "vlq/core/error.hpp"

namespace vlq {

namespace {

std::filesystem::path hidden_sibling(const std::filesystem::path& out, const char* tag) {
  std::random_device rd;
  std::string name = ".";
  name += out.filename().string();
  name += tag;
  name += std::to_string(getpid()) + "_" + std::to_string(rd());
  return out.parent_path() / name;
}

constexpr const char* kTags[] = {".partial", ".old"};

// Siblings named by hidden_sibling for `out` whose process is gone (kill(pid, 0) → ESRCH):
// left by a run that was killed. A live pid — another run on the same --out, or this one — is
// never touched, nor is anything not named exactly like a sibling.
void remove_abandoned_siblings(const std::filesystem::path& out) {
  std::string prefix =
      ".";  // (built by appending: GCC 12 misreports "." + string under -Wrestrict)
  prefix += out.filename().string();
  std::error_code ec;
  std::filesystem::directory_iterator it(out.parent_path(), ec), end;
  std::vector<std::filesystem::path> abandoned;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    for (const char* tag : kTags) {
      const std::string head = prefix + tag;
      if (name.size() <= head.size() || name.compare(0, head.size(), head) != 0) continue;
      const size_t underscore = name.find('_', head.size());
      if (underscore == std::string::npos || underscore == head.size() ||
          underscore - head.size() > 9)
        continue;
      const std::string digits = name.substr(head.size(), underscore - head.size());
      if (digits.find_first_not_of("0123456789") != std::string::npos) continue;
      const pid_t pid = static_cast<pid_t>(std::stol(digits));
      if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) abandoned.push_back(it->path());
    }
  }
  for (const auto& path : abandoned) std::filesystem::remove_all(path, ec);  // best effort
}

void check_replaceable(const std::filesystem::path& out, const std::string& marker) {
  std::error_code ec;
  if (!std::filesystem::exists(out, ec)) return;
  if (!std::filesystem::is_directory(out, ec))
    fail(out, "exists and is not a directory; choose another --out");
  if (std::filesystem::is_empty(out, ec) || std::filesystem::is_regular_file(out / marker, ec))
    return;
  fail(out, "exists and is not the output of an earlier run (no " + marker +
                "); choose another --out or remove it");
}

}  // namespace

StagedDirectory::StagedDirectory(std::filesystem::path out, std::string marker)
    : out_(std::filesystem::absolute(std::move(out)).lexically_normal()),
      marker_(std::move(marker)) {
  if (out_.filename().empty()) out_ = out_.parent_path();  // "dir/" → "dir"
  check_replaceable(out_, marker_);
  std::error_code ec;
  std::filesystem::create_directories(out_.parent_path(), ec);
  if (ec) fail(out_.parent_path(), "cannot create directory: " + ec.message());
  remove_abandoned_siblings(out_);
  staging_ = hidden_sibling(out_, kTags[0]);
  std::filesystem::create_directory(staging_, ec);
  if (ec) fail(staging_, "cannot create directory: " + ec.message());
}

StagedDirectory::~StagedDirectory() {
  if (committed_) return;
  std::error_code ec;
  std::filesystem::remove_all(staging_, ec);
}

void StagedDirectory::commit() {
  check_replaceable(out_, marker_);  // again: something may have appeared meanwhile
  std::error_code ec;
  std::filesystem::path old;
  if (std::filesystem::exists(out_, ec)) {
    old = hidden_sibling(out_, kTags[1]);
    if (::rename(out_.c_str(), old.c_str()) != 0)
      fail(out_, std::string("cannot move the previous output aside: ") + std::strerror(errno));
  }
  if (::rename(staging_.c_str(), out_.c_str()) != 0) {
    const int err = errno;
    if (!old.empty()) ::rename(old.c_str(), out_.c_str());  // put the previous output back
    fail(out_, std::string("cannot move the output into place: ") + std::strerror(err));
  }
  committed_ = true;
  if (!old.empty()) std::filesystem::remove_all(old, ec);
}

}  // namespace vlq
