#pragma once
// A progress line with rate and ETA on stderr, redrawn in place on a terminal and printed at
// most every few seconds otherwise (CI logs). Long work (eval, calibration, sensitivity) uses it.
#include <chrono>
#include <cstdint>
#include <string>

namespace vlq {

class Progress {
 public:
  Progress(std::string label, int64_t total, bool enabled = true);
  ~Progress();
  void advance(int64_t n = 1);
  void set(int64_t done);
  void finish();

 private:
  void draw(bool final_line);
  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace vlq
