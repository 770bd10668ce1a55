#pragma once
// Command-line options shared by `vlq sensitivity` and `vlq ptq` (model, data, op selection,
// observer), registered on a subcommand and turned into quant::RunInputs.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "vlq/quant/run_setup.hpp"

namespace vlq::cli {

struct QuantCliOptions {
  std::string model, calib, eval, observer = "minmax";
  double percentile = 99.99;
  std::vector<std::string> include, exclude;
  bool lm_head = false;
  int max_calib_batches = 0, max_eval_batches = 0, threads = 0;
  bool quiet = false;

  void add_to(CLI::App* cmd);
  quant::RunInputs to_inputs() const;
};

}  // namespace vlq::cli
