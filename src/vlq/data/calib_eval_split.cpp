#include "vlq/data/calib_eval_split.hpp"

#include <algorithm>
#include <string>
#include <unordered_set>

#include "vlq/core/error.hpp"
#include "vlq/data/caption_text.hpp"

namespace vlq::data {

namespace {

class OverlapIndex {
 public:
  explicit OverlapIndex(std::span<const Sample> pool) {
    for (const Sample& s : pool) {
      if (s.origin.caption_id >= 0) caption_ids_.insert(s.origin.caption_id);
      if (s.origin.image_id >= 0) image_ids_.insert(s.origin.image_id);
      captions_.insert(normalize_caption(s.caption));
    }
  }
  bool overlaps(const Sample& s) const {
    return (s.origin.caption_id >= 0 && caption_ids_.contains(s.origin.caption_id)) ||
           (s.origin.image_id >= 0 && image_ids_.contains(s.origin.image_id)) ||
           captions_.contains(normalize_caption(s.caption));
  }

 private:
  std::unordered_set<int64_t> caption_ids_;
  std::unordered_set<int64_t> image_ids_;
  std::unordered_set<std::string> captions_;
};

void take_calibration(SplitResult& result, size_t pool, int64_t max_samples) {
  const size_t count = max_samples <= 0 ? pool : std::min(pool, static_cast<size_t>(max_samples));
  for (size_t i = 0; i < count; ++i) result.calib.push_back(i);
  result.calib_pool = static_cast<int64_t>(pool);
}

void take_eval(SplitResult& result, std::span<const Sample> candidates, size_t first,
               const OverlapIndex& pool, int64_t eval_samples) {
  for (size_t i = first; i < candidates.size(); ++i) {
    if (pool.overlaps(candidates[i])) {
      ++result.overlap_excluded;
      continue;
    }
    if (static_cast<int64_t>(result.eval.size()) < eval_samples) result.eval.push_back(i);
  }
}

}  // namespace

SplitResult split_single_source(std::span<const Sample> samples, const SplitConfig& config) {
  if (config.eval_holdout < 0) fail("eval_holdout must not be negative");
  if (config.eval_samples > config.eval_holdout) {
    fail("eval_samples (" + std::to_string(config.eval_samples) + ") exceeds eval_holdout (" +
         std::to_string(config.eval_holdout) +
         "): evaluation only draws from the held-out tail, raise eval_holdout");
  }
  const size_t holdout = static_cast<size_t>(config.eval_holdout);
  if (holdout >= samples.size() && !samples.empty()) {
    fail("eval_holdout (" + std::to_string(holdout) + ") leaves no calibration samples out of " +
         std::to_string(samples.size()));
  }
  const size_t pool = samples.size() - std::min(holdout, samples.size());
  SplitResult result;
  take_calibration(result, pool, config.max_samples);
  if (pool < samples.size()) {  // the index costs a pass over the pool; skip it with no holdout
    const OverlapIndex index(samples.first(pool));
    take_eval(result, samples, pool, index, config.eval_samples);
  }
  return result;
}

SplitResult split_with_eval_source(std::span<const Sample> calib_samples,
                                   std::span<const Sample> eval_samples, const SplitConfig& config) {
  SplitResult result;
  take_calibration(result, calib_samples.size(), config.max_samples);
  const OverlapIndex index(calib_samples);
  take_eval(result, eval_samples, 0, index, config.eval_samples);
  return result;
}

}  // namespace vlq::data
