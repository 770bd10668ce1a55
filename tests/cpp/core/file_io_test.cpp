#include "vlq/core/file_io.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "vlq/core/error.hpp"
#include "vlq/core/json.hpp"

namespace fs = std::filesystem;

namespace {
fs::path temp_dir() {
  fs::path dir = fs::temp_directory_path() / ("vlq_core_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}
}  // namespace

TEST(FileIo, MissingFileNamesThePath) {
  try {
    vlq::read_file("/nonexistent/vlq/file.txt");
    FAIL() << "expected vlq::Error";
  } catch (const vlq::Error& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/vlq/file.txt: file not found");
  }
}

TEST(FileIo, AtomicWriteLeavesNoTempOnFailureAndReplacesOnCommit) {
  fs::path dir = temp_dir();
  fs::path target = dir / "out.txt";
  {
    vlq::AtomicFileWriter writer(target);
    writer.write("partial");
    // destroyed without commit
  }
  EXPECT_FALSE(fs::exists(target));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 0);
  vlq::write_file_atomic(target, "hello");
  EXPECT_EQ(vlq::read_file(target), "hello");
  fs::remove_all(dir);
}

TEST(Json, MalformedJsonIsOneLineErrorWithPath) {
  try {
    vlq::parse_json("{\"a\": [1, 2", "cfg.json");
    FAIL();
  } catch (const vlq::Error& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.rfind("cfg.json: malformed JSON: ", 0), 0u) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos);
  }
}
