#pragma once
// Append-only JSON-lines log for long runs: each record is one line, written with a single
// write(2) and fsync'd, so a run killed at any moment loses at most the record being written.
// Opening for resume keeps every complete, parseable line and drops a torn last line (the file is
// rewritten atomically first, so appends never follow a partial line).
#include <filesystem>
#include <vector>

#include "vlq/core/json.hpp"

namespace vlq::quant {

class JsonlLog {
 public:
  // resume=false truncates an existing file; resume=true keeps its complete records.
  JsonlLog(std::filesystem::path path, bool resume);
  JsonlLog(const JsonlLog&) = delete;
  JsonlLog& operator=(const JsonlLog&) = delete;
  ~JsonlLog();

  const std::vector<Json>& existing() const { return existing_; }
  void append(const Json& record);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::vector<Json> existing_;
};

// Complete records of a JSONL file (a torn last line is ignored; a torn line elsewhere → Error).
std::vector<Json> read_jsonl(const std::filesystem::path& path);

}  // namespace vlq::quant
