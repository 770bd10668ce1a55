#include "vlq/quant/run_setup.hpp"

#include <cstdio>
#include <set>

#include "vlq/core/error.hpp"
#include "vlq/data/dataset_file.hpp"
#include "vlq/quant/interceptors.hpp"

namespace vlq::quant {

namespace {

std::vector<data::Batch> load_batches(const std::filesystem::path& dir, int max_batches) {
  data::Dataset ds = data::read_dataset(dir);
  std::vector<data::Batch> batches = ds.loader.batches(0);
  if (max_batches > 0 && static_cast<int>(batches.size()) > max_batches) batches.resize(max_batches);
  if (batches.empty()) fail(dir, "dataset has no batches");
  return batches;
}

}  // namespace

RunSetup prepare_run(const RunInputs& in) {
  RunSetup s;
  model::LoadOptions lo;
  lo.cache_f32_weights = in.cache_f32_weights;
  lo.threads = in.threads;
  s.model = std::make_unique<model::Qwen25VL>(model::Qwen25VL::load(in.model_dir, lo));
  s.subject = std::make_unique<ModelSubject>(*s.model, load_batches(in.calib_dir, in.max_calib_batches),
                                             load_batches(in.eval_dir, in.max_eval_batches), in.progress);
  s.selected = in.selector.select(s.subject->ops());
  if (s.selected.empty()) fail(in.model_dir, "no quantizable op matches the --include/--exclude patterns");
  std::set<std::string> names;
  for (const auto& op : s.selected) names.insert(op.name);
  ObserverInterceptor observer(names);
  s.subject->calibrate(observer);
  CalibrationStats stats = observer.take();
  // Ops the calibration data never ran (the vision tower under text-only data) cannot get static
  // activation ranges, and their sensitivity would be meaningless: drop them, loudly.
  std::vector<model::LinearOp> ran;
  size_t dropped = 0;
  for (const auto& op : s.selected) {
    auto it = stats.find(op.name);
    if (it != stats.end() && it->second.count() > 0) ran.push_back(op);
    else ++dropped;
  }
  if (dropped > 0)
    std::fprintf(stderr, "vlq: note: %zu selected ops never ran on the calibration data (vision ops need "
                         "image batches); they stay in float and are not scored\n", dropped);
  if (ran.empty()) fail(in.calib_dir, "calibration data ran none of the selected ops");
  s.selected = std::move(ran);
  s.context = std::make_unique<QuantContext>(std::move(stats), in.observer);
  return s;
}

}  // namespace vlq::quant
