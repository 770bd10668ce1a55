// `vlq merge`: combine sharded `vlq sensitivity --shard i/n` outputs into one report, identical to
// the report of an unsharded run.
#include <cstdio>
#include <memory>

#include "vlq/cli/commands.hpp"
#include "vlq/core/error.hpp"
#include "vlq/quant/plots.hpp"
#include "vlq/quant/sensitivity_report.hpp"

namespace vlq::cli {

void register_merge_command(CLI::App& app) {
  struct Options {
    std::string out;
    std::vector<std::string> inputs;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("merge", "merge sharded sensitivity runs into one report");
  cmd->add_option("--out", opts->out, "output directory for the merged report")->required();
  cmd->add_option("inputs", opts->inputs, "shard output directories (default: --out itself)");
  cmd->callback([opts] {
    std::vector<std::filesystem::path> inputs(opts->inputs.begin(), opts->inputs.end());
    if (inputs.empty()) inputs.emplace_back(opts->out);
    quant::merge_sensitivity(inputs, opts->out);
    std::string how;
    const bool plots = quant::try_make_plots(opts->out, how);
    std::printf("merged report: %s/sensitivity.{json,csv,md}%s\n", opts->out.c_str(), plots ? " + PNG plots" : "");
    if (!plots) std::printf("plots not made; run: %s\n", how.c_str());
  });
}

}  // namespace vlq::cli
