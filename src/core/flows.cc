// Naos: workflows and sagas created and extended from the command line, by
// editing nexus.config.yaml as text (project/config_edit.h), so the rest of
// the file keeps its comments and layout.
#include <yaml-cpp/yaml.h>

#include "base/file.h"
#include "core/naos.h"
#include "project/config_edit.h"

namespace naos {
namespace {

std::string section_of(const std::string& kind) { return kind == "workflow" ? "workflows" : "sagas"; }

Status check_kind(const std::string& kind) {
  if (kind == "workflow" || kind == "saga") return ok();
  return Error(Code::kInvalidArgument, "expected workflow or saga", kind);
}

}  // namespace

Status Naos::create_flow(const std::string& kind, const std::string& name, const std::string& actor) {
  NAOS_TRY(require_project());
  NAOS_TRY(check_kind(kind));
  // The config as it is now, under the edit lock: another process may have
  // added this name since this one opened the project.
  NAOS_ASSIGN_OR_RETURN(project::ConfigLock lock, project::lock_config(project_->config_file()));
  NAOS_ASSIGN_OR_RETURN(std::string text, read_file(lock.config_file(), "config file"));
  NAOS_ASSIGN_OR_RETURN(project::Config config, project::parse_config(text, project_->config_file().string()));
  for (const auto& [taken, what] : {std::pair{config.agents.count(name) > 0, "an agent"},
                                    std::pair{config.workflows.count(name) > 0, "a workflow"},
                                    std::pair{config.sagas.count(name) > 0, "a saga"},
                                    std::pair{config.pools.count(name) > 0, "a pool"}}) {
    if (taken) return Error(Code::kAlreadyExists, std::string(what) + " of this name is in the config", name);
  }
  NAOS_TRY(project::set_config_entry(lock, section_of(kind), name, "steps: []\n"));
  NAOS_TRY(reload_project());
  return record({actor, "", kind + ".created", {{"detail", kind + " " + name}, {"name", name}}});
}

Status Naos::add_flow_step(const std::string& kind, const std::string& name, const std::string& agent,
                           const std::string& step_name, const std::string& compensate, const std::string& actor) {
  NAOS_TRY(require_project());
  NAOS_TRY(check_kind(kind));
  NAOS_ASSIGN_OR_RETURN(project::ConfigLock lock, project::lock_config(project_->config_file()));
  NAOS_ASSIGN_OR_RETURN(std::string text, read_file(lock.config_file(), "config file"));
  NAOS_ASSIGN_OR_RETURN(project::Config config, project::parse_config(text, project_->config_file().string()));
  bool exists = kind == "workflow" ? config.workflows.count(name) > 0 : config.sagas.count(name) > 0;
  if (!exists) return Error(Code::kNotFound, "no " + kind + " of this name in the config", name);
  if (kind == "workflow" && !compensate.empty()) {
    return Error(Code::kInvalidArgument, "--compensate is for saga steps; workflows do not roll back", name);
  }
  // The entry as written (every key kept), plus the step; comments inside
  // this one entry do not survive the re-emit, the rest of the file does.
  YAML::Node entry;
  try {
    entry = YAML::Load(text)[section_of(kind)][name];
  } catch (const YAML::Exception& e) {
    return Error(Code::kFailedPrecondition, std::string("cannot read the config: ") + e.what());
  }
  if (!entry || entry.IsNull()) entry = YAML::Node(YAML::NodeType::Map);
  YAML::Node step(YAML::NodeType::Map);
  if (!step_name.empty()) step["name"] = step_name;
  step["agent"] = agent;
  if (!compensate.empty()) step["compensate"] = compensate;
  YAML::Node steps = entry["steps"];
  if (!steps || steps.IsNull()) {
    entry["steps"] = YAML::Node(YAML::NodeType::Sequence);
    steps = entry["steps"];
  }
  steps.push_back(step);
  YAML::Emitter out;
  out << entry;
  NAOS_TRY(project::set_config_entry(lock, section_of(kind), name, std::string(out.c_str()) + "\n"));
  NAOS_TRY(reload_project());
  nlohmann::json payload = {{"detail", kind + " " + name + " + " + agent}, {"name", name}, {"agent", agent}};
  if (!compensate.empty()) payload["compensate"] = compensate;
  return record({actor, agent, kind + ".step_added", payload});
}

}  // namespace naos
