#pragma once
// The setup shared by `vlq sensitivity` and `vlq ptq`: load the model and the calib/eval
// datasets, select ops, calibrate observers over the calibration set (real tokens only).
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vlq/model/qwen2_5_vl.hpp"
#include "vlq/quant/model_subject.hpp"
#include "vlq/quant/op_selection.hpp"
#include "vlq/quant/quant_context.hpp"

namespace vlq::quant {

struct RunInputs {
  std::filesystem::path model_dir;
  std::filesystem::path calib_dir;
  std::filesystem::path eval_dir;
  OpSelector selector;
  ObserverConfig observer;
  int max_calib_batches = 0;  // 0 = all
  int max_eval_batches = 0;   // 0 = all
  int threads = 0;
  bool progress = true;
  // Keep every weight widened to fp32 (~4 B/param: 12 GB for the 3B language model). Worth it
  // when plans quantize most ops (PTQ trials, `fallback`), whose weights are otherwise widened
  // whole on every forward; one-op-at-a-time runs stream float weights from the checkpoint
  // as fast and need only the checkpoint's own size.
  bool cache_f32_weights = true;
};

struct RunSetup {
  std::unique_ptr<model::Qwen25VL> model;
  std::unique_ptr<ModelSubject> subject;
  std::vector<model::LinearOp> selected;
  std::unique_ptr<QuantContext> context;
};

RunSetup prepare_run(const RunInputs& inputs);

}  // namespace vlq::quant
