// The commands workflows and sagas share (`run`, `status`, `history`,
// `resume`, `list`), added to each group by add_flow_commands; the saga's own
// (`reset`, `retry-compensation`, `resolve`) are in saga_command.cc.
#pragma once

#include <string>

#include "cli/cli.h"

namespace naos::cli {

// `kind` is "workflow" or "saga".
void add_flow_commands(CLI::App& group, const std::string& kind, Context& context, int& exit_status);

// The run of `name` an operator means: `run_id` if given (and of that
// workflow/saga), else the latest top-level one. Errors: kNotFound.
Result<orchestration::RunRecord> pick_run(Naos& naos, const std::string& kind, const std::string& name,
                                          const std::string& run_id);

}  // namespace naos::cli
