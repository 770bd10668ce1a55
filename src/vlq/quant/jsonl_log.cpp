#include "vlq/quant/jsonl_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "vlq/core/error.hpp"
#include "vlq/core/file_io.hpp"

namespace vlq::quant {

std::vector<Json> read_jsonl(const std::filesystem::path& path) {
  std::vector<Json> out;
  const std::string text = read_file(path);
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    const bool complete = nl != std::string::npos;
    std::string line = text.substr(pos, complete ? nl - pos : std::string::npos);
    pos = complete ? nl + 1 : text.size();
    ++line_no;
    if (line.empty()) continue;
    if (!complete) break;  // torn last line of a killed run
    try {
      out.push_back(Json::parse(line));
    } catch (const Json::exception& e) {
      fail(path, "line " + std::to_string(line_no) + ": malformed JSON record");
    }
  }
  return out;
}

JsonlLog::JsonlLog(std::filesystem::path path, bool resume) : path_(std::move(path)) {
  if (resume && std::filesystem::exists(path_)) {
    existing_ = read_jsonl(path_);
    std::string kept;
    for (const auto& r : existing_) kept += r.dump() + "\n";
    write_file_atomic(path_, kept);
  } else {
    write_file_atomic(path_, "");
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) fail(path_, std::string("cannot open for appending: ") + std::strerror(errno));
}

JsonlLog::~JsonlLog() {
  if (fd_ >= 0) ::close(fd_);
}

void JsonlLog::append(const Json& record) {
  const std::string line = record.dump() + "\n";
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path_, std::string("write failed: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd_) != 0) fail(path_, std::string("fsync failed: ") + std::strerror(errno));
}

}  // namespace vlq::quant
