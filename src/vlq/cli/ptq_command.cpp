// `vlq ptq` (registered; the implementation lands with its layer).
#include "vlq/cli/commands.hpp"
#include "vlq/core/error.hpp"

namespace vlq::cli {

void register_ptq_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("ptq", "(not available yet in this build)");
  cmd->callback([] { vlq::fail("vlq ptq: not available yet in this build"); });
}

}  // namespace vlq::cli
