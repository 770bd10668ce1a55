#include "vlq/data/data_report.hpp"

#include <cstdio>

namespace vlq::data {

namespace {
std::string line(const char* format, auto... args) {
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, format, args...);
  return buffer;
}
}  // namespace

std::string format_statistics(std::string_view name, const LoaderStatistics& s) {
  std::string out = line("%.*s loader: %lld samples in %lld batches\n", static_cast<int>(name.size()), name.data(),
                         static_cast<long long>(s.samples), static_cast<long long>(s.batches));
  out += line("  tokens per sample: min %lld, median %lld, p95 %lld, max %lld\n", static_cast<long long>(s.min_length),
              static_cast<long long>(s.median_length), static_cast<long long>(s.p95_length),
              static_cast<long long>(s.max_length));
  out += line("  padding: %.1f%% of %lld batch cells (epoch-0 order)\n", 100.0 * s.padding_fraction,
              static_cast<long long>(s.padded_cells));
  out += line("  truncated: %lld, label tokens: %lld", static_cast<long long>(s.truncated),
              static_cast<long long>(s.label_tokens));
  if (s.images > 0) out += line(", images: %lld", static_cast<long long>(s.images));
  out += "\n";
  return out;
}

std::string format_report(const PreparedData& data) {
  const DataReport& r = data.report;
  std::string out = line("source: %lld samples read, %lld duplicates dropped", static_cast<long long>(r.samples_read),
                         static_cast<long long>(r.duplicates_dropped));
  if (r.missing_images_skipped > 0) {
    out += line(", %lld missing images skipped", static_cast<long long>(r.missing_images_skipped));
  }
  out += line("\nsplit: calibration pool %lld samples, %lld eval candidates excluded as overlapping calibration\n",
              static_cast<long long>(r.calib_pool), static_cast<long long>(r.overlap_excluded));
  out += format_statistics("calibration", compute_statistics(data.calib));
  out += format_statistics("eval", compute_statistics(data.eval));
  return out;
}

}  // namespace vlq::data
