#include "vlq/core/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace vlq {

namespace {
std::string format_seconds(double s) {
  if (s < 0 || s > 1e7) return "?";
  char buf[32];
  int total = static_cast<int>(s + 0.5);
  if (total >= 3600)
    std::snprintf(buf, sizeof buf, "%dh%02dm%02ds", total / 3600, total / 60 % 60, total % 60);
  else if (total >= 60)
    std::snprintf(buf, sizeof buf, "%dm%02ds", total / 60, total % 60);
  else
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}
}  // namespace

Progress::Progress(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  if (!finished_) finish();
}

void Progress::advance(int64_t n) { set(done_ + n); }

void Progress::set(int64_t done) {
  done_ = done;
  auto now = std::chrono::steady_clock::now();
  auto interval = tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
  if (now - last_draw_ >= interval) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final_line) {
  if (!enabled_) return;
  double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  double eta = rate > 0 && total_ > 0 ? static_cast<double>(total_ - done_) / rate : -1.0;
  int width = 24;
  int filled = total_ > 0 ? static_cast<int>(width * done_ / total_) : 0;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(static_cast<size_t>(width), '.');
  std::fprintf(stderr, "%s%s [%s] %lld/%lld  %.2f/s  elapsed %s  eta %s%s", tty_ ? "\r" : "",
               label_.c_str(), bar.c_str(), static_cast<long long>(done_),
               static_cast<long long>(total_), rate, format_seconds(elapsed).c_str(),
               final_line ? "0s" : format_seconds(eta).c_str(), (final_line || !tty_) ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace vlq
