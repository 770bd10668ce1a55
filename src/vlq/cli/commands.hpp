#pragma once
// Each subcommand lives in its own file (<name>_command.cpp) and registers itself here.
#include <CLI/CLI.hpp>

namespace vlq::cli {

void register_data_command(CLI::App& app);
void register_eval_command(CLI::App& app);
void register_sensitivity_command(CLI::App& app);
void register_ptq_command(CLI::App& app);
void register_merge_command(CLI::App& app);
void register_demo_command(CLI::App& app);

}  // namespace vlq::cli
