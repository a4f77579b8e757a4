// `naos supervisor`: not built yet.
#include "cli/cli.h"

namespace naos::cli {

void add_supervisor_command(CLI::App& app, Context& context, int& exit_status) {}

}  // namespace naos::cli
