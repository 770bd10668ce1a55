#pragma once
// Accuracy-driven PTQ: quantize every selected op; if the eval scalar misses the target, fall
// ops back to float in sensitivity order (most sensitive first) and find the smallest number k
// of fallbacks that meets the target by bisection over k, so ~log2(N) evaluations instead of N.
//
// Target (eval scalar higher is better, vlq's is −mean NLL):
//   relative: baseline − tolerance·|baseline|   (|·| so a negative scalar cannot make the target
//                                                stricter than the baseline — INC's
//                                                baseline·(1 − tol) would demand an improvement)
//   absolute: baseline − tolerance
// k = N (everything float) is the float model itself and meets the target by construction, so it
// is never evaluated. Bisection assumes "more fallbacks never hurts"; where that fails it still
// only returns a plan that was evaluated and met the target (or the float model).
#include <cstddef>
#include <string>
#include <vector>

#include "vlq/core/json.hpp"
#include "vlq/quant/jsonl_log.hpp"
#include "vlq/quant/quant_context.hpp"
#include "vlq/quant/quant_plan.hpp"
#include "vlq/quant/subject.hpp"

namespace vlq::quant {

struct TuneOptions {
  std::string scheme = "w8a8";
  double tolerance = 0.01;
  bool relative = true;
};

struct Trial {
  size_t fallback_count = 0;  // ops in float (the top-k of the ranking)
  double eval = 0.0;
  bool meets = false;
  std::string what;           // "float baseline", "all quantized", "bisection"
};

struct TuneResult {
  double baseline = 0.0;
  double target = 0.0;
  QuantPlan plan;
  size_t fallback_count = 0;
  double final_eval = 0.0;
  std::vector<Trial> trials;  // every evaluation, in order (the baseline first)
  int evaluations() const { return static_cast<int>(trials.size()); }
  Json to_json() const;
};

double accuracy_target(double baseline, double tolerance, bool relative);

// `selected`: the quantizable ops in execution order; `ranked`: op names most sensitive first
// (ops of `selected` missing from it are appended in execution order). Each trial is appended
// to `log` if given.
TuneResult tune(QuantSubject& subject, QuantContext& context,
                const std::vector<std::string>& selected, const std::vector<std::string>& ranked,
                const TuneOptions& options, JsonlLog* log = nullptr);

// Writes plan.json, inc_op_name_dict.json, ptq_report.json and ptq_report.md into out_dir.
void write_tune_report(const std::filesystem::path& out_dir, const TuneResult& result,
                       const TuneOptions& options, const std::vector<std::string>& order);

}  // namespace vlq::quant
