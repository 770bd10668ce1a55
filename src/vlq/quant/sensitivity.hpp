#pragma once
// Per-op sensitivity of a model to quantizing that op, four ways. Every score is oriented
// "higher = more sensitive"; reports rank most sensitive first.
//
//   method    what one op's score is                                     cost model (N ops)
//   local     relative output error ‖y_q − y‖² / ‖y‖² of the op alone     2 forwards over the calib
//             (its own weight + input fake-quantized) on its real float     set + per op 2 small
//             inputs from the calibration set (≤ R sampled rows per call)   GEMMs on ≤ R rows
//   loss      eval scalar(float) − eval scalar(only this op quantized)     1 + N eval-set passes
//   output    INC-mse_v2-like: Σ (logits_float − logits_q)² over real      1 + N forwards of C
//             positions of C confidence batches, only this op quantized     confidence batches to
//             (also the mean; with output_kl the mean KL(float‖quant) per   the final hidden state
//             token, at the price of full logits per op)                    + one hidden² GEMM
//   fallback  eval scalar(all quantized but this op) − eval scalar(all     2 + N eval-set passes
//             quantized): how much falling this op back recovers
//
// INC's own fallback order sorts by *ascending* residual MSE with everything else quantized and
// takes the first entry as most sensitive; vlq's `fallback` is that order with the sign flipped
// to "higher = more sensitive", so rank 1 means the same op in both.
//
// Long runs: each scored op is appended to <out>/<method>[.shard-i-of-n].jsonl and fsync'd;
// --resume skips ops already there (≤ 1 op lost on SIGKILL). Shards take ops i, i+n, i+2n, ...
// of the selected list; merge_sensitivity() combines shard logs into the report an unsharded
// run writes.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "vlq/core/json.hpp"
#include "vlq/model/linear_hooks.hpp"
#include "vlq/quant/quant_context.hpp"
#include "vlq/quant/scheme.hpp"
#include "vlq/quant/subject.hpp"

namespace vlq::quant {

enum class SensitivityMethod { kLocal, kLoss, kOutput, kFallback };

std::vector<SensitivityMethod> parse_methods(std::string_view comma_list);
std::string method_name(SensitivityMethod method);
// What "higher score" means for the method (written into every report).
std::string method_semantics(SensitivityMethod method);
std::string method_cost(SensitivityMethod method);

struct SensitivityOptions {
  std::vector<SensitivityMethod> methods{SensitivityMethod::kLocal};
  std::string scheme = "w8a8";
  int confidence_batches = 2;
  // `output` also reports the mean KL(float‖quant); this needs full logits per op (much slower
  // with a large vocabulary) instead of the hidden-space score, see output_error.hpp.
  bool output_kl = false;
  int64_t local_rows = 256;
  int shard_index = 0;
  int shard_count = 1;
  bool resume = false;
  bool progress = true;
  // `loss` and `output` score an op with every earlier op in float, so they let the subject
  // skip the unchanged prefix (QuantSubject::evaluate_changing); false runs the whole model per
  // op (same scores, for checking).
  bool resume_at_op_layer = true;
};

// "i/n" → (i, n), 0 ≤ i < n; otherwise vlq::Error.
std::pair<int, int> parse_shard(std::string_view text);

// Scores the selected ops of this shard and appends them to the logs in `out_dir`; writes the
// run's meta file. When shard_count == 1 it also writes the report (see sensitivity_report.hpp).
// Returns the records of this run (resumed ones included).
std::vector<Json> run_sensitivity(QuantSubject& subject, QuantContext& context,
                                  const std::vector<model::LinearOp>& selected,
                                  const SensitivityOptions& options,
                                  const std::filesystem::path& out_dir);

// The log file name of a method for a shard.
std::string log_file_name(SensitivityMethod method, int shard_index, int shard_count);

}  // namespace vlq::quant
