#pragma once
// Human-readable statistics of prepared calibration/eval data, printed by `vlq data` and
// `vlq demo`.
#include <string>
#include <string_view>

#include "vlq/data/data_pipeline.hpp"
#include "vlq/data/loader_statistics.hpp"

namespace vlq::data {

std::string format_statistics(std::string_view name, const LoaderStatistics& stats);

// Source counts (read, duplicates dropped, overlap excluded, ...) and both loaders.
std::string format_report(const PreparedData& data);

}  // namespace vlq::data
