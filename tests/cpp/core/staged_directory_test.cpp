#include "vlq/core/staged_directory.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>

#include "vlq/core/error.hpp"

namespace fs = std::filesystem;

namespace {

class StagedDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    root_ = fs::temp_directory_path() /
            ("vlq_staged_test_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(root_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::set<std::string> entries() const {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(root_)) names.insert(e.path().filename().string());
    return names;
  }
  static void touch(const fs::path& p, const std::string& text = "x") { std::ofstream(p) << text; }
  fs::path root_;
};

// A pid that certainly belonged to a process that has exited (forked, exited, reaped).
pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

TEST_F(StagedDirectoryTest, CommitMovesTheStagingDirectoryIntoPlace) {
  const fs::path out = root_ / "out";
  {
    vlq::StagedDirectory staged(out, "done.json");
    touch(staged.dir() / "done.json");
    EXPECT_FALSE(fs::exists(out));
    staged.commit();
  }
  EXPECT_EQ(entries(), std::set<std::string>{"out"});
  EXPECT_TRUE(fs::exists(out / "done.json"));
  {
    vlq::StagedDirectory again(out, "done.json");  // replaces its own earlier output
    touch(again.dir() / "done.json", "second");
    again.commit();
  }
  std::ifstream in(out / "done.json");
  std::string text;
  in >> text;
  EXPECT_EQ(text, "second");
  EXPECT_EQ(entries(), std::set<std::string>{"out"});
}

TEST_F(StagedDirectoryTest, AFailedRunLeavesNothing) {
  const fs::path out = root_ / "out";
  {
    vlq::StagedDirectory staged(out, "done.json");
    touch(staged.dir() / "half-written");
  }
  EXPECT_TRUE(entries().empty());
}

TEST_F(StagedDirectoryTest, AForeignDirectoryIsRefusedUntouched) {
  const fs::path out = root_ / "mine";
  fs::create_directories(out);
  touch(out / "precious.txt");
  EXPECT_THROW(vlq::StagedDirectory(out, "done.json"), vlq::Error);
  EXPECT_EQ(entries(), std::set<std::string>{"mine"});
}

TEST_F(StagedDirectoryTest, SiblingsOfKilledRunsAreRemovedOthersKept) {
  const std::string dead = std::to_string(dead_pid()), alive = std::to_string(::getpid());
  const std::set<std::string> abandoned = {".out.partial" + dead + "_123",
                                           ".out.old" + dead + "_9"};
  const std::set<std::string> kept = {
      ".out.partial" + alive + "_5",   // a live process (here: another run of this process)
      ".other.partial" + dead + "_1",  // another --out
      ".out.partialnotapid_1",         // not named like a sibling
      ".out.partial" + dead,           // no random suffix: not ours
      "out.partial" + dead + "_1",     // not hidden
  };
  for (const auto& name : abandoned) fs::create_directories(root_ / name / "sub");
  for (const auto& name : kept) fs::create_directories(root_ / name);
  {
    vlq::StagedDirectory staged(root_ / "out", "done.json");
    std::set<std::string> now = entries();
    for (const auto& name : abandoned) EXPECT_FALSE(now.count(name)) << name;
    for (const auto& name : kept) EXPECT_TRUE(now.count(name)) << name;
    EXPECT_EQ(now.size(), kept.size() + 1);  // + this run's own staging directory
  }
  EXPECT_EQ(entries(), kept);
}

}  // namespace
