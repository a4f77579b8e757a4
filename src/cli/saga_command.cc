// `naos saga run|status|history|resume|list` (flow_commands.h), and the
// operator's answers to a failed rollback: `retry-compensation NAME --step N`,
// `resolve NAME --step N`, and `reset NAME`.
#include <iostream>

#include "cli/flow_commands.h"
#include "cli/interrupt.h"
#include "cli/run_views.h"

namespace naos::cli {
namespace {

struct StepFlags {
  std::string name;
  std::string step;  // a 1-based number or a step name
  std::string run;
};

// --step: "2" (the second step) or its name.
Result<int> step_index(Naos& naos, const std::string& saga, const std::string& step) {
  const auto& steps = naos.project()->config().sagas.at(saga).steps;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].name == step) return static_cast<int>(i);
  }
  char* end = nullptr;
  long number = std::strtol(step.c_str(), &end, 10);
  if (!step.empty() && *end == '\0' && number >= 1 && number <= static_cast<long>(steps.size())) {
    return static_cast<int>(number - 1);
  }
  return Error(Code::kInvalidArgument,
               "--step is a step number from 1 to " + std::to_string(steps.size()) + " or a step name", step);
}

enum class Fix { kRetry, kResolve };

int fix(Context& context, const StepFlags& flags, Fix how) {
  auto& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  if (!(*naos)->project()->config().sagas.count(flags.name)) {
    return report_run_error(globals, Error(Code::kNotFound, "no saga of this name in the config", flags.name), "saga");
  }
  auto index = step_index(**naos, flags.name, flags.step);
  if (!index) return report_error(globals, index.error());
  auto run = pick_run(**naos, "saga", flags.name, flags.run);
  if (!run) return report_run_error(globals, run.error(), "saga");
  auto* orchestrator = (*naos)->orchestrator();
  auto result = how == Fix::kRetry ? orchestrator->retry_compensation(run->id, *index, &interrupt_flag())
                                   : orchestrator->resolve(run->id, *index, "cli", &interrupt_flag());
  if (!result) return report_run_error(globals, result.error(), "saga");
  return print_result(globals, *result);
}

int reset(Context& context, const std::string& name) {
  auto& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  auto done = (*naos)->orchestrator()->reset_saga(name, "cli");
  if (!done) return report_run_error(globals, done.error(), "saga");
  if (globals.json) {
    std::cout << nlohmann::json{{"ok", true}, {"saga", name}, {"state", "ready"}}.dump(2) << "\n";
  } else if (!globals.quiet) {
    std::cout << "saga " << name << " is ready (an unfinished run, if any, is kept in its history as abandoned)\n";
  }
  return 0;
}

}  // namespace

void add_saga_command(CLI::App& app, Context& context, int& exit_status) {
  CLI::App* group = app.add_subcommand(
      "saga", "Steps with compensations: on a failure the completed steps are undone, newest first");
  group->require_subcommand(1);
  add_flow_commands(*group, "saga", context, exit_status);

  auto flags = std::make_shared<StepFlags>();
  CLI::App* retry = group->add_subcommand(
      "retry-compensation", "Try a failed compensation again, then finish the rollback");
  retry->add_option("name", flags->name, "The saga's name")->required();
  retry->add_option("--step", flags->step, "The step whose compensation failed: its number (1 = first) or name")
      ->required();
  retry->add_option("--run", flags->run, "The run (default: the latest)");
  retry->add_flag("--json", context.globals.json, "Print JSON");
  retry->callback([&, flags] { exit_status = fix(context, *flags, Fix::kRetry); });

  CLI::App* resolve = group->add_subcommand(
      "resolve", "Mark a failed compensation as undone by hand, then finish the rollback");
  resolve->add_option("name", flags->name, "The saga's name")->required();
  resolve->add_option("--step", flags->step, "The step whose compensation failed: its number (1 = first) or name")
      ->required();
  resolve->add_option("--run", flags->run, "The run (default: the latest)");
  resolve->add_flag("--json", context.globals.json, "Print JSON");
  resolve->callback([&, flags] { exit_status = fix(context, *flags, Fix::kResolve); });

  CLI::App* reset_cmd = group->add_subcommand("reset", "Abandon the saga's unfinished run so it can run again");
  reset_cmd->add_option("name", flags->name, "The saga's name")->required();
  reset_cmd->add_flag("--json", context.globals.json, "Print JSON");
  reset_cmd->callback([&, flags] { exit_status = reset(context, flags->name); });
}

}  // namespace naos::cli
