#pragma once
// An output directory that appears whole or not at all: a command writes into a hidden staging
// sibling of `out` and commit() swaps it into place; if the command fails before that, the
// destructor removes the staging directory, so no half-written output is ever left behind.
// An existing `out` is only replaced if it carries `marker` (the previous run's output of the
// same command) or is empty — never an unrelated directory the user pointed --out at.
// A run killed by a signal cannot clean up after itself: the next StagedDirectory for the same
// `out` removes the staging and set-aside siblings of processes that no longer exist.
#include <filesystem>
#include <string>

namespace vlq {

class StagedDirectory {
 public:
  // Checks `out` up front (→ vlq::Error before any work), removes abandoned siblings and creates
  // the staging directory.
  StagedDirectory(std::filesystem::path out, std::string marker);
  StagedDirectory(const StagedDirectory&) = delete;
  StagedDirectory& operator=(const StagedDirectory&) = delete;
  ~StagedDirectory();

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

}  // namespace vlq
