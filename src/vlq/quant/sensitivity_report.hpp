#pragma once
// Ranked sensitivity tables (JSON, CSV, Markdown) from per-op records, with the ordering
// semantics stated in every file, plus Spearman rank correlation between methods. The report is
// a pure function of the meta (scheme, observer, op list, baselines) and the records, so merged
// shards produce exactly the report of an unsharded run.
#include <filesystem>
#include <string>
#include <vector>

#include "vlq/core/json.hpp"
#include "vlq/model/linear_hooks.hpp"
#include "vlq/quant/observer.hpp"

namespace vlq::quant {

Json sensitivity_meta(const std::string& scheme, const std::vector<model::LinearOp>& selected,
                      const ObserverConfig& observer);

// Writes sensitivity.json, sensitivity.csv, sensitivity.md into out_dir (atomically).
Json write_sensitivity_report(const std::filesystem::path& out_dir, const Json& meta,
                              const std::vector<Json>& records);

// Combines the meta*.json and *.jsonl files of shard runs found in `inputs` (directories) and
// writes the report into out_dir. Shards must agree on scheme, observer, op list and baselines;
// every op must be scored by every method → else vlq::Error naming what is missing.
Json merge_sensitivity(const std::vector<std::filesystem::path>& inputs,
                       const std::filesystem::path& out_dir);

// Spearman rank correlation (average ranks for ties) of two equally long score vectors.
double spearman(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace vlq::quant
