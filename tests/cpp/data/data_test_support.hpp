#pragma once
// Shared helpers for the data-layer tests: where the real data lives and scratch directories.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace vlq::data::test_support {

inline std::filesystem::path data_root() {
  if (const char* env = std::getenv("VLQ_DATA_ROOT"); env && *env) return env;
  return std::filesystem::path(VLQ_SOURCE_DIR) / ".." / "shared" / "data";
}

inline std::filesystem::path model_dir() { return data_root() / "qwen2_5_vl_3b_instruct"; }
inline std::filesystem::path calib_dir() { return data_root() / "coco2017_vlm_calib"; }

// A fresh, empty directory per test name, under the system temp dir.
inline std::filesystem::path scratch_dir(std::string_view name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("vlq_data_test_" + std::to_string(::getpid()) + "_" + std::string(name));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::filesystem::path write_bytes(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

// Runs `fn`, expecting vlq::Error with exactly `message`.
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace vlq::data::test_support
