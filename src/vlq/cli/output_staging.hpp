#pragma once
// An output directory that appears whole or not at all: a command writes into a hidden staging
// sibling of `out` and commit() swaps it into place; if the command fails before that, the
// destructor removes the staging directory, so no half-written output is ever left behind.
// An existing `out` is only replaced if it carries `marker` (the previous run's output of the
// same command) or is empty — never an unrelated directory the user pointed --out at.
#include <filesystem>
#include <string>

namespace vlq::cli {

class OutputStaging {
 public:
  // Checks `out` up front (→ vlq::Error before any work) and creates the staging directory.
  OutputStaging(std::filesystem::path out, std::string marker);
  OutputStaging(const OutputStaging&) = delete;
  OutputStaging& operator=(const OutputStaging&) = delete;
  ~OutputStaging();

  // Where to write now.
  const std::filesystem::path& dir() const { return staging_; }
  // Where the output will be after commit().
  const std::filesystem::path& out() const { return out_; }
  // Moves the staging directory to `out` (an old output is moved aside first, then removed).
  void commit();

 private:
  std::filesystem::path out_;
  std::string marker_;
  std::filesystem::path staging_;
  bool committed_ = false;
};

}  // namespace vlq::cli
