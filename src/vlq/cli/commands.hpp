#pragma once
// Each subcommand lives in its own file and registers itself on the root app here.
#include <CLI/CLI.hpp>

namespace vlq::cli {

void register_data_command(CLI::App& app);

}  // namespace vlq::cli
