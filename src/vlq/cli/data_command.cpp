// `vlq data`: placeholder registration; the data pipeline fills this in.
#include "vlq/cli/commands.hpp"

namespace vlq::cli {

void register_data_command(CLI::App& app) {
  app.add_subcommand("data", "Build calibration/eval loaders and print their statistics");
}

}  // namespace vlq::cli
