#pragma once
// Calibration and evaluation samples are disjoint by construction:
//  * one source: the last `eval_holdout` samples are reserved for evaluation and never used for
//    calibration; calibration takes the first `max_samples` of the rest (source order, like the
//    seed's prefix of the captions file);
//  * a separate eval source: all of it is an eval candidate, the whole calib source is the pool.
// Eval candidates that overlap the calibration pool — same caption_id, same image_id or the same
// normalized caption — are excluded and counted (e.g. coco2017_vlm_eval_100.jsonl repeats DB rows
// 1..100). Eval then takes the first `eval_samples` remaining candidates.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "vlq/data/sample.hpp"

namespace vlq::data {

inline constexpr int64_t kDefaultEvalHoldout = 256;

struct SplitConfig {
  int64_t max_samples = 512;    // calibration samples; <= 0 = the whole calibration pool
  int64_t eval_samples = 32;    // must not exceed eval_holdout for a single source
  int64_t eval_holdout = kDefaultEvalHoldout;  // single source only
};

struct SplitResult {
  std::vector<size_t> calib;  // indices into the calibration source's samples
  std::vector<size_t> eval;   // indices into the eval source's samples (= calib source if single)
  int64_t calib_pool = 0;     // samples calibration may draw from
  int64_t overlap_excluded = 0;
};

// Single source. Errors (vlq::Error): eval_samples > eval_holdout, holdout leaves no
// calibration pool.
SplitResult split_single_source(std::span<const Sample> samples, const SplitConfig& config);

// Separate eval source (eval_holdout is ignored).
SplitResult split_with_eval_source(std::span<const Sample> calib_samples,
                                   std::span<const Sample> eval_samples, const SplitConfig& config);

}  // namespace vlq::data
