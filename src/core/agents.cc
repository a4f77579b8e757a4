// Naos: the agent registry as the CLI and the server see it.

#include <map>

#include "core/naos.h"

namespace naos {

Status Naos::require_project() const {
  if (!project_) {
    return Error(Code::kFailedPrecondition,
                 "not inside a naos project (no nexus.config.yaml here or above; use --project DIR or naos init)");
  }
  return ok();
}

Result<std::vector<Naos::AgentView>> Naos::agents() {
  NAOS_TRY(require_project());
  std::map<std::string, AgentView> by_name;
  for (const auto& [name, config] : project_->config().agents) by_name[name] = {name, std::nullopt, &config};
  NAOS_ASSIGN_OR_RETURN(auto records, registry_->list());
  for (auto& record : records) {
    auto& view = by_name[record.name];
    view.name = record.name;
    view.record = std::move(record);
  }
  std::vector<AgentView> out;
  for (auto& [name, view] : by_name) out.push_back(std::move(view));
  return out;
}

Result<Naos::AgentView> Naos::agent(std::string_view name) {
  NAOS_TRY(require_project());
  AgentView view{std::string(name), std::nullopt, nullptr};
  if (auto found = project_->config().agents.find(view.name); found != project_->config().agents.end()) {
    view.config = &found->second;
  }
  NAOS_ASSIGN_OR_RETURN(view.record, registry_->find(name));
  if (!view.record && view.config == nullptr) return Error(Code::kNotFound, "no such agent", view.name);
  return view;
}

Status Naos::stop_agent(std::string_view name, const std::string& actor) {
  NAOS_ASSIGN_OR_RETURN(AgentView view, agent(name));
  if (!view.record) {
    return Error(Code::kFailedPrecondition, "the agent is in the config but not created (naos create " + view.name +
                                                " --from-config)", view.name);
  }
  NAOS_ASSIGN_OR_RETURN(auto from, registry_->transition(name, project::AgentStatus::kStopped, clock_.now_ms()));
  return record({actor, view.name, governance::event::kAgentStopped, {{"from", project::status_name(from)}}});
}

Status Naos::delete_agent(std::string_view name, const std::string& actor) {
  NAOS_ASSIGN_OR_RETURN(AgentView view, agent(name));
  if (!view.record) return Error(Code::kNotFound, "the agent is not created; nothing to delete", view.name);
  NAOS_TRY(registry_->remove(name));
  return record({actor, view.name, governance::event::kAgentDeleted, {{"id", view.record->id}}});
}

}  // namespace naos
