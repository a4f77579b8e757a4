// `naos workflow run|status|history|resume|list` (flow_commands.h).
#include "cli/flow_commands.h"

namespace naos::cli {

void add_workflow_command(CLI::App& app, Context& context, int& exit_status) {
  CLI::App* group = app.add_subcommand("workflow", "Sequential pipelines: each step's output is the next one's input");
  group->require_subcommand(1);
  add_flow_commands(*group, "workflow", context, exit_status);
}

}  // namespace naos::cli
