#include "vlq/core/file_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

#include "vlq/core/error.hpp"

namespace vlq {

std::string read_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(path, "file not found");
  if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, std::string("cannot open: ") + std::strerror(errno));
  // One sized read (istreambuf_iterator copies byte by byte); keep reading past the size in
  // case the file grew, so the result is always the whole file.
  std::string contents;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec) contents.resize(static_cast<size_t>(size));
  in.read(contents.data(), static_cast<std::streamsize>(contents.size()));
  contents.resize(static_cast<size_t>(in.gcount()));
  if (in.bad()) fail(path, "read error");
  if (in) {
    char buffer[1 << 14];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) contents.append(buffer, static_cast<size_t>(in.gcount()));
    if (in.bad()) fail(path, "read error");
  }
  return contents;
}

namespace {
std::filesystem::path temp_sibling(const std::filesystem::path& path) {
  std::random_device rd;
  // Appending (rather than "." + string) sidesteps GCC 12's false -Wrestrict positive at -O3.
  std::string name(".");
  name += path.filename().string();
  name += ".tmp";
  name += std::to_string(getpid());
  name += '_';
  name += std::to_string(rd());
  return path.parent_path() / name;
}
}  // namespace

AtomicFileWriter::AtomicFileWriter(std::filesystem::path path) : path_(std::move(path)) {
  if (path_.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path_.parent_path(), ec);
    if (ec) fail(path_.parent_path(), "cannot create directory: " + ec.message());
  }
  temp_path_ = temp_sibling(path_);
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(path_, std::string("cannot create: ") + std::strerror(errno));
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(temp_path_.c_str());
  }
}

void AtomicFileWriter::write(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path_, std::string("write failed: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void AtomicFileWriter::commit() {
  if (fd_ < 0) fail(path_, "already committed");
  if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
    fd_ = -1;
    ::unlink(temp_path_.c_str());
    fail(path_, std::string("write failed: ") + std::strerror(errno));
  }
  fd_ = -1;
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    ::unlink(temp_path_.c_str());
    fail(path_, std::string("cannot rename into place: ") + std::strerror(errno));
  }
}

void write_file_atomic(const std::filesystem::path& path, std::string_view contents) {
  AtomicFileWriter writer(path);
  writer.write(contents);
  writer.commit();
}

}  // namespace vlq
