#include "vlq/cli/output_staging.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "vlq/core/error.hpp"

namespace vlq::cli {

namespace {

std::filesystem::path hidden_sibling(const std::filesystem::path& out, const char* tag) {
  std::random_device rd;
  std::string name = ".";
  name += out.filename().string();
  name += tag;
  name += std::to_string(getpid()) + "_" + std::to_string(rd());
  return out.parent_path() / name;
}

void check_replaceable(const std::filesystem::path& out, const std::string& marker) {
  std::error_code ec;
  if (!std::filesystem::exists(out, ec)) return;
  if (!std::filesystem::is_directory(out, ec)) fail(out, "exists and is not a directory; choose another --out");
  if (std::filesystem::is_empty(out, ec) || std::filesystem::is_regular_file(out / marker, ec)) return;
  fail(out, "exists and is not the output of an earlier run (no " + marker +
                "); choose another --out or remove it");
}

}  // namespace

OutputStaging::OutputStaging(std::filesystem::path out, std::string marker)
    : out_(std::filesystem::absolute(std::move(out)).lexically_normal()), marker_(std::move(marker)) {
  if (out_.filename().empty()) out_ = out_.parent_path();  // "dir/" → "dir"
  check_replaceable(out_, marker_);
  std::error_code ec;
  std::filesystem::create_directories(out_.parent_path(), ec);
  if (ec) fail(out_.parent_path(), "cannot create directory: " + ec.message());
  staging_ = hidden_sibling(out_, ".partial");
  std::filesystem::create_directory(staging_, ec);
  if (ec) fail(staging_, "cannot create directory: " + ec.message());
}

OutputStaging::~OutputStaging() {
  if (committed_) return;
  std::error_code ec;
  std::filesystem::remove_all(staging_, ec);
}

void OutputStaging::commit() {
  check_replaceable(out_, marker_);  // again: something may have appeared meanwhile
  std::error_code ec;
  std::filesystem::path old;
  if (std::filesystem::exists(out_, ec)) {
    old = hidden_sibling(out_, ".old");
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

}  // namespace vlq::cli
