// `naos workflow|saga run NAME [--input TEXT|@file|-] [--id ID]`,
// `status NAME|--all`, `history NAME [--run ID]`, `resume NAME [--run ID]`,
// `list`, `create NAME`, `add-step NAME AGENT [--name N] [--compensate C]`.
#include "cli/flow_commands.h"

#include <iostream>

#include "cli/interrupt.h"
#include "cli/run_views.h"
#include "views/runs.h"

namespace naos::cli {
namespace {

namespace st = orchestration::state;

struct FlowFlags {
  std::string name;
  std::string input;
  std::string id;
  std::string run;
  bool all = false;
  // add-step
  std::string agent;
  std::string step_name;
  std::string compensate;
};

int create(Context& context, const std::string& kind, const FlowFlags& flags) {
  auto& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  auto created = (*naos)->create_flow(kind, flags.name, "cli");
  if (!created) return report_error(globals, created.error());
  if (globals.json) {
    std::cout << nlohmann::json{{"ok", true}, {"kind", kind}, {"name", flags.name}}.dump(2) << "\n";
  } else if (!globals.quiet) {
    std::cout << "created " << kind << " " << flags.name << " in nexus.config.yaml; add steps with `naos " << kind
              << " add-step " << flags.name << " AGENT`\n";
  }
  return 0;
}

int add_step(Context& context, const std::string& kind, const FlowFlags& flags) {
  auto& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  auto added = (*naos)->add_flow_step(kind, flags.name, flags.agent, flags.step_name, flags.compensate, "cli");
  if (!added) return report_run_error(globals, added.error(), kind);
  const auto& config = (*naos)->project()->config();
  size_t steps = kind == "workflow" ? config.workflows.at(flags.name).steps.size()
                                    : config.sagas.at(flags.name).steps.size();
  if (globals.json) {
    std::cout << nlohmann::json{{"ok", true}, {"kind", kind}, {"name", flags.name}, {"steps", steps}}.dump(2)
              << "\n";
  } else if (!globals.quiet) {
    std::cout << kind << " " << flags.name << ": step " << steps << " is " << flags.agent
              << (flags.compensate.empty() ? "" : " (compensated by " + flags.compensate + ")") << "\n";
  }
  return 0;
}

bool declared(Naos& naos, const std::string& kind, const std::string& name) {
  const auto& config = naos.project()->config();
  return kind == "workflow" ? config.workflows.count(name) > 0 : config.sagas.count(name) > 0;
}

std::vector<std::string> step_names(Naos& naos, const std::string& kind, const std::string& name) {
  std::vector<std::string> out;
  const auto& config = naos.project()->config();
  if (kind == "workflow") {
    for (const auto& step : config.workflows.at(name).steps) out.push_back(step.name);
  } else {
    for (const auto& step : config.sagas.at(name).steps) out.push_back(step.name);
  }
  return out;
}

int run(Context& context, const std::string& kind, const FlowFlags& flags) {
  auto& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  auto input = read_input(flags.input);
  if (!input) return report_error(globals, input.error());
  auto* orchestrator = (*naos)->orchestrator();
  auto result = kind == "workflow" ? orchestrator->run_workflow(flags.name, *input, flags.id, &interrupt_flag())
                                   : orchestrator->run_saga(flags.name, *input, flags.id, &interrupt_flag());
  if (!result) return report_run_error(globals, result.error(), kind, /*starting=*/true);
  return print_result(globals, *result);
}

// The state of each step from the journal of `run`.
nlohmann::json step_states(orchestration::Journal& journal, const orchestration::RunRecord& run,
                           const std::vector<std::string>& names) {
  nlohmann::json steps = nlohmann::json::array();
  std::vector<std::string> states(names.size(), "pending");
  std::vector<int> attempts(names.size(), 0);
  auto entries = journal.entries(run.id);
  if (entries) {
    for (const auto& e : *entries) {
      if (e.step < 0 || e.step >= static_cast<int>(names.size())) continue;
      std::string& s = states[e.step];
      namespace en = orchestration::entry;
      if (e.event == en::kStepStarted) s = "running", attempts[e.step] = e.attempt;
      if (e.event == en::kStepCompleted) s = "completed";
      if (e.event == en::kStepFailed) s = e.data.value("final", false) ? "failed" : "retrying";
      if (e.event == en::kStepSkipped) s = "skipped";
      if (e.event == en::kCompensationStarted) s = "compensating";
      if (e.event == en::kCompensationCompleted) s = "compensated";
      if (e.event == en::kCompensationFailed) s = e.data.value("final", false) ? "compensation_failed" : "compensating";
      if (e.event == en::kStepResolved) s = "resolved";
    }
  }
  for (size_t i = 0; i < names.size(); ++i) {
    steps.push_back({{"step", i + 1}, {"name", names[i]}, {"state", states[i]}, {"attempts", attempts[i]}});
  }
  return steps;
}

int status(Context& context, const std::string& kind, const FlowFlags& flags) {
  auto& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  auto* orchestrator = (*naos)->orchestrator();
  std::vector<std::string> names;
  if (flags.all || flags.name.empty()) {
    const auto& config = (*naos)->project()->config();
    if (kind == "workflow") {
      for (const auto& [name, _] : config.workflows) names.push_back(name);
    } else {
      for (const auto& [name, _] : config.sagas) names.push_back(name);
    }
  } else {
    if (!declared(**naos, kind, flags.name)) {
      return report_run_error(globals, Error(Code::kNotFound, "no " + kind + " of this name in the config", flags.name),
                              kind);
    }
    names.push_back(flags.name);
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& name : names) {
    auto latest = orchestrator->latest(kind, name);
    if (!latest) return report_error(globals, latest.error());
    nlohmann::json item = {{"name", name}, {"state", "ready"}, {"steps", step_names(**naos, kind, name).size()}};
    if (*latest) {
      const auto& run = **latest;
      // A saga whose last run ended (or was reset) is ready for the next one.
      item["state"] = kind == "saga" && run.state == st::kAbandoned ? "ready" : run.state;
      item["last_run"] = views::run_json(run);
      if (!flags.all && !flags.name.empty()) {
        item["step_states"] = step_states(*(*naos)->journal(), run, step_names(**naos, kind, name));
      }
    }
    out.push_back(std::move(item));
  }
  if (globals.json) {
    std::cout << dump_lossless(names.size() == 1 && !flags.all && !flags.name.empty() ? out[0] : out, 2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "STATE", "STEPS", "LAST RUN", "UPDATED"}};
  for (const auto& item : out) {
    bool has_run = item.contains("last_run");
    rows.push_back({item["name"], item["state"], std::to_string(item["steps"].get<size_t>()),
                    has_run ? item["last_run"]["id"].get<std::string>() : "-",
                    has_run ? item["last_run"]["updated"].get<std::string>().substr(0, 19) : "-"});
  }
  std::cout << format_table(rows);
  if (out.size() == 1 && out[0].contains("step_states")) {
    std::vector<std::vector<std::string>> steps = {{"#", "STEP", "STATE", "ATTEMPTS"}};
    for (const auto& s : out[0]["step_states"]) {
      steps.push_back({std::to_string(s["step"].get<size_t>()), s["name"], s["state"],
                       std::to_string(s["attempts"].get<int>())});
    }
    std::cout << "\n" << format_table(steps);
    const auto& error = out[0]["last_run"]["error"].get<std::string>();
    if (!error.empty()) std::cout << "\nerror: " << error << "\n";
  }
  return 0;
}

int history(Context& context, const std::string& kind, const FlowFlags& flags) {
  auto& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  if (!declared(**naos, kind, flags.name)) {
    return report_run_error(globals, Error(Code::kNotFound, "no " + kind + " of this name in the config", flags.name),
                            kind);
  }
  if (!flags.run.empty()) {
    auto run = pick_run(**naos, kind, flags.name, flags.run);
    if (!run) return report_run_error(globals, run.error(), kind);
    return print_history(globals, *(*naos)->journal(), *run);
  }
  orchestration::RunFilter filter;
  filter.kind = kind;
  filter.name = flags.name;
  filter.top_level_only = true;
  auto runs = (*naos)->journal()->runs(filter);
  if (!runs) return report_error(globals, runs.error());
  print_runs(globals, *runs);
  return 0;
}

int resume(Context& context, const std::string& kind, const FlowFlags& flags) {
  auto& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  if (!declared(**naos, kind, flags.name)) {
    return report_run_error(globals, Error(Code::kNotFound, "no " + kind + " of this name in the config", flags.name),
                            kind);
  }
  auto run = pick_run(**naos, kind, flags.name, flags.run);
  if (!run) return report_run_error(globals, run.error(), kind);
  auto result = (*naos)->orchestrator()->resume(run->id, &interrupt_flag());
  if (!result) return report_run_error(globals, result.error(), kind);
  return print_result(globals, *result);
}

int list(Context& context, const std::string& kind) {
  FlowFlags all;
  all.all = true;
  return status(context, kind, all);
}

}  // namespace

Result<orchestration::RunRecord> pick_run(Naos& naos, const std::string& kind, const std::string& name,
                                          const std::string& run_id) {
  if (!run_id.empty()) {
    NAOS_ASSIGN_OR_RETURN(auto run, naos.journal()->find_run(run_id));
    if (!run || run->kind != kind || run->name != name) {
      return Error(Code::kNotFound, "no run of " + kind + " " + name + " has this id", run_id);
    }
    return std::move(*run);
  }
  NAOS_ASSIGN_OR_RETURN(auto latest, naos.orchestrator()->latest(kind, name));
  if (!latest) return Error(Code::kNotFound, kind + " " + name + " has not run yet", name);
  return std::move(*latest);
}

void add_flow_commands(CLI::App& group, const std::string& kind, Context& context, int& exit_status) {
  auto flags = std::make_shared<FlowFlags>();
  auto json = [&context](CLI::App* command) {
    command->add_flag("--json", context.globals.json, "Print JSON");
  };

  CLI::App* run_cmd = group.add_subcommand("run", "Run the " + kind + " (durably: a killed run resumes)");
  run_cmd->add_option("name", flags->name, "The " + kind + "'s name in nexus.config.yaml")->required();
  run_cmd->add_option("-i,--input", flags->input, "Input: TEXT, @FILE, or - for stdin");
  run_cmd->add_option("--id", flags->id,
                      "Run id; starting again with the same id returns the first run's result");
  json(run_cmd);
  run_cmd->callback([&, kind, flags] { exit_status = run(context, kind, *flags); });

  CLI::App* status_cmd = group.add_subcommand("status", "Show the " + kind + "'s latest run and its steps");
  status_cmd->add_option("name", flags->name, "The " + kind + "'s name");
  status_cmd->add_flag("--all", flags->all, "Every " + kind + " of the project");
  json(status_cmd);
  status_cmd->callback([&, kind, flags] { exit_status = status(context, kind, *flags); });

  CLI::App* history_cmd = group.add_subcommand("history", "List the " + kind + "'s runs, or one run's step journal");
  history_cmd->add_option("name", flags->name, "The " + kind + "'s name")->required();
  history_cmd->add_option("--run", flags->run, "Show this run's journal");
  json(history_cmd);
  history_cmd->callback([&, kind, flags] { exit_status = history(context, kind, *flags); });

  CLI::App* resume_cmd = group.add_subcommand(
      "resume", kind == "workflow" ? "Continue the latest run where it stopped (a failed run: at the failed step)"
                                   : "Continue the latest unfinished run (forward, or its rollback)");
  resume_cmd->add_option("name", flags->name, "The " + kind + "'s name")->required();
  resume_cmd->add_option("--run", flags->run, "Resume this run instead of the latest");
  json(resume_cmd);
  resume_cmd->callback([&, kind, flags] { exit_status = resume(context, kind, *flags); });

  CLI::App* create_cmd = group.add_subcommand("create", "Add an empty " + kind + " to nexus.config.yaml");
  create_cmd->add_option("name", flags->name, "The new " + kind + "'s name")->required();
  json(create_cmd);
  create_cmd->callback([&, kind, flags] { exit_status = create(context, kind, *flags); });

  CLI::App* add_cmd = group.add_subcommand("add-step", "Append a step to the " + kind + " in nexus.config.yaml");
  add_cmd->add_option("name", flags->name, "The " + kind + "'s name")->required();
  add_cmd->add_option("agent", flags->agent, "The step's agent (or a workflow, saga or pool)")->required();
  add_cmd->add_option("--name", flags->step_name, "The step's name (default: the agent's)");
  if (kind == "saga") add_cmd->add_option("--compensate", flags->compensate, "The agent that undoes this step");
  json(add_cmd);
  add_cmd->callback([&, kind, flags] { exit_status = add_step(context, kind, *flags); });

  CLI::App* list_cmd = group.add_subcommand("list", "Every " + kind + " with the state of its latest run");
  json(list_cmd);
  list_cmd->callback([&, kind] { exit_status = list(context, kind); });
}

}  // namespace naos::cli
