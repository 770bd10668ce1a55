// vlq — calibration/eval data, model runtime, sensitivity analysis and PTQ for Qwen2.5-VL.
// main only wires subcommands and turns vlq::Error into a one-line message and exit code 1.
#include <cstdio>
#include <exception>

#include "vlq/cli/commands.hpp"
#include "vlq/core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"vlq: calibration/eval data, C++ runtime, sensitivity and PTQ for Qwen2.5-VL"};
  app.require_subcommand(1);
  vlq::cli::register_data_command(app);
  vlq::cli::register_eval_command(app);
  vlq::cli::register_sensitivity_command(app);
  vlq::cli::register_ptq_command(app);
  vlq::cli::register_merge_command(app);
  vlq::cli::register_demo_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const vlq::Error& e) {
    std::fprintf(stderr, "vlq: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vlq: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
