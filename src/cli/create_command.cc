// `naos create NAME --template T`, `naos create NAME --source F.wasm`,
// `naos create --from-config`

#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"

namespace naos::cli {
namespace {

struct CreateFlags {
  std::string name;
  std::string template_name;
  std::string source;
  bool from_config = false;
};

nlohmann::json to_json(const project::AgentRecord& r) {
  return {{"name", r.name},     {"id", r.id},         {"template", r.template_name},
          {"status", std::string(project::status_name(r.status))}, {"source", r.source},
          {"module_hash", r.module_hash}};
}

int create(Context& context, const CreateFlags& flags) {
  const Globals& globals = context.globals;
  int ways = !flags.template_name.empty() + !flags.source.empty() + flags.from_config;
  if (ways != 1) {
    return report_error(globals, Error(Code::kInvalidArgument,
                                       "give exactly one of --template T, --source F.wasm or --from-config"));
  }
  if (flags.from_config != flags.name.empty()) {
    return report_error(globals, Error(Code::kInvalidArgument, flags.from_config
                                                                   ? "--from-config takes no NAME"
                                                                   : "name the new agent: naos create NAME ..."));
  }
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  std::vector<project::AgentRecord> created;
  if (flags.from_config) {
    auto all = (*naos)->create_from_config("cli");
    if (!all) return report_agent_error(globals, all.error());
    created = std::move(*all);
  } else {
    auto one = flags.source.empty() ? (*naos)->create_from_template(flags.name, flags.template_name, "cli")
                                    : (*naos)->create_from_module(flags.name, flags.source, "cli");
    if (!one) {
      if (one.error().code() == Code::kAlreadyExists) {
        return report_error(globals, one.error(), ProductCode{101, "AGENT_ALREADY_EXISTS"});
      }
      return report_error(globals, one.error());
    }
    created.push_back(std::move(*one));
  }
  if (globals.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : created) out.push_back(to_json(r));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (globals.quiet) return 0;
  if (created.empty()) std::cout << "every agent in the config is registered already\n";
  for (const auto& r : created) {
    std::cout << "created " << r.name << " (" << r.id << ", " << project::status_name(r.status) << ")";
    if (!r.template_name.empty()) std::cout << " from template " << r.template_name;
    std::cout << "\n";
    if (r.status == project::AgentStatus::kCreated && !flags.template_name.empty()) {
      std::cout << "  sources: agents/" << r.name << "/\n  next:    naos build " << r.name << " && naos run " << r.name
                << "\n";
    }
  }
  return 0;
}

}  // namespace

void add_create_command(CLI::App& app, Context& context, int& exit_status) {
  auto flags = std::make_shared<CreateFlags>();
  CLI::App* command = app.add_subcommand("create", "Create an agent from a template, a ready module, or the config");
  command->add_option("name", flags->name, "The new agent's name");
  command->add_option("-t,--template", flags->template_name, "A template (naos templates lists them)");
  command->add_option("--source", flags->source, "A ready .wasm module to register");
  command->add_flag("--from-config", flags->from_config, "Register every agent nexus.config.yaml defines");
  command->add_flag("--json", context.globals.json, "Print the created agents as JSON");
  command->callback([&context, flags, &exit_status] { exit_status = create(context, *flags); });
}

}  // namespace naos::cli
