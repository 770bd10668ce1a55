// `vlq eval` (registered; the implementation lands with its layer).
#include "vlq/cli/commands.hpp"
#include "vlq/core/error.hpp"

namespace vlq::cli {

void register_eval_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "(not available yet in this build)");
  cmd->callback([] { vlq::fail("vlq eval: not available yet in this build"); });
}

}  // namespace vlq::cli
