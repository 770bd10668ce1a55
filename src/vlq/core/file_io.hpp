#pragma once
// Whole-file reads with one-line errors, and atomic writes (temp file + rename) so a failed run
// never leaves partial output behind.
#include <filesystem>
#include <string>
#include <string_view>

namespace vlq {

std::string read_file(const std::filesystem::path& path);

// Writes `contents` to `path` via a temporary sibling file and rename(2).
void write_file_atomic(const std::filesystem::path& path, std::string_view contents);

// Streams into a temporary sibling of `path`; commit() renames it into place. Destroying an
// uncommitted writer removes the temporary file, so exceptions leave nothing behind.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::filesystem::path path);
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  ~AtomicFileWriter();

  void write(std::string_view bytes);
  void commit();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::filesystem::path temp_path_;
  int fd_ = -1;
};

}  // namespace vlq
