// Naos: the agent registry as the CLI and the server see it.

#include <fstream>
#include <map>
#include <sstream>

#include "base/file.h"
#include "base/sha256.h"
#include "base/words.h"
#include "core/naos.h"
#include "project/templates.h"

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
  if (!view.record && view.config == nullptr) {
    std::vector<std::string> names;
    for (const auto& [known, config] : project_->config().agents) names.push_back(known);
    NAOS_ASSIGN_OR_RETURN(auto records, registry_->list());
    for (const auto& record : records) names.push_back(record.name);
    return Error(Code::kNotFound, "no such agent" + did_you_mean(view.name, names), view.name);
  }
  return view;
}

Status Naos::delete_agent(std::string_view name, const std::string& actor) {
  NAOS_ASSIGN_OR_RETURN(AgentView view, agent(name));
  if (!view.record) return Error(Code::kNotFound, "the agent is not created; nothing to delete", view.name);
  NAOS_TRY(registry_->remove(name));
  return record({actor, view.name, governance::event::kAgentDeleted, {{"id", view.record->id}}});
}

Status Naos::record_event_created(const project::AgentRecord& created, const std::string& actor,
                                  const std::filesystem::path& folder) {
  return record({actor, created.name, governance::event::kAgentCreated,
                 {{"id", created.id}, {"template", created.template_name}, {"source", created.source}}});
}

Status Naos::refuse_taken_name(std::string_view name) {
  NAOS_TRY(require_project());
  NAOS_ASSIGN_OR_RETURN(auto existing, registry_->find(name));
  if (existing) return Error(Code::kAlreadyExists, "an agent with this name exists already", std::string(name));
  if (project_->config().agents.count(std::string(name))) {
    return Error(Code::kAlreadyExists,
                 "the config defines this agent already; register it with naos create --from-config",
                 std::string(name));
  }
  return ok();
}

Status Naos::reload_project() {
  NAOS_ASSIGN_OR_RETURN(auto reloaded, project::Project::open(project_->root()));
  project_ = std::move(reloaded);
  return ok();
}

Result<project::AgentRecord> Naos::create_from_template(std::string_view name, std::string_view template_name,
                                                        const std::string& actor) {
  NAOS_TRY(refuse_taken_name(name));
  NAOS_ASSIGN_OR_RETURN(const project::Template* tmpl, project::find_template(template_name));
  NAOS_ASSIGN_OR_RETURN(auto folder, project::add_agent_from_template(project_->root(), name, *tmpl));
  NAOS_TRY(reload_project());
  project::AgentRecord record;
  record.name = std::string(name);
  record.template_name = tmpl->name;
  record.source = "agents/" + record.name + "/" + record.name + ".wasm";
  NAOS_ASSIGN_OR_RETURN(auto created, registry_->create(record, clock_.now_ms()));
  NAOS_TRY(record_event_created(created, actor, folder));
  return created;
}

Result<project::AgentRecord> Naos::create_from_module(std::string_view name, const std::filesystem::path& module,
                                                      const std::string& actor) {
  NAOS_TRY(refuse_taken_name(name));
  NAOS_ASSIGN_OR_RETURN(std::string bytes, read_file(module, "module file"));
  // Refuse what could never run before it is registered.
  auto loaded = sandbox_->load(bytes);
  if (!loaded) return Error(loaded.error().code(), loaded.error().message(), module.string());
  std::string relative = "agents/" + std::string(name) + "/" + std::string(name) + ".wasm";
  auto target = project_->root() / relative;
  std::error_code ec;
  if (std::filesystem::exists(target.parent_path(), ec) && !std::filesystem::is_empty(target.parent_path(), ec)) {
    return Error(Code::kAlreadyExists, "agents/" + std::string(name) + "/ exists already and is not empty",
                 std::string(name));
  }
  std::filesystem::create_directories(target.parent_path(), ec);
  std::filesystem::copy_file(module, target, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return Error(Code::kUnavailable, "cannot copy the module: " + ec.message(), target.string());
  if (auto added = project::append_agent_to_config(project_->config_file(), name, "source: " + relative + "\n");
      !added) {
    std::filesystem::remove_all(target.parent_path(), ec);
    return added.error();
  }
  NAOS_TRY(reload_project());
  project::AgentRecord record;
  record.name = std::string(name);
  record.source = relative;
  NAOS_ASSIGN_OR_RETURN(auto created, registry_->create(record, clock_.now_ms()));
  NAOS_TRY(registry_->set_module(name, relative, (*loaded)->hash(), clock_.now_ms()));
  NAOS_TRY(record_event_created(created, actor, target.parent_path()));
  NAOS_ASSIGN_OR_RETURN(auto stored, registry_->find(name));
  return *stored;
}

Result<std::vector<project::AgentRecord>> Naos::create_from_config(const std::string& actor) {
  NAOS_TRY(require_project());
  std::vector<project::AgentRecord> created;
  for (const auto& [name, config] : project_->config().agents) {
    NAOS_ASSIGN_OR_RETURN(auto existing, registry_->find(name));
    if (existing) continue;
    project::AgentRecord record;
    record.name = name;
    record.template_name = config.template_name;
    auto module = project_->module_file(config);
    std::error_code ec;
    auto relative = std::filesystem::relative(module, project_->root(), ec);
    record.source = ec || relative.empty() || *relative.begin() == ".." ? module.string() : relative.string();
    NAOS_ASSIGN_OR_RETURN(auto made, registry_->create(record, clock_.now_ms()));
    if (auto bytes = read_file(module, "module file")) {  // not built yet: stays `created`
      NAOS_TRY(registry_->set_module(name, record.source, sha256_hex(*bytes), clock_.now_ms()));
    }
    NAOS_TRY(record_event_created(made, actor, module.parent_path()));
    NAOS_ASSIGN_OR_RETURN(auto stored, registry_->find(name));
    created.push_back(*stored);
  }
  return created;
}

Status Naos::register_build(std::string_view name, const std::filesystem::path& module, std::string_view hash,
                            const std::string& actor) {
  NAOS_TRY(require_project());
  NAOS_ASSIGN_OR_RETURN(auto existing, registry_->find(name));
  if (!existing) return ok();
  std::error_code ec;
  auto relative = std::filesystem::relative(module, project_->root(), ec);
  NAOS_TRY(registry_->set_module(name, ec ? module.string() : relative.string(), hash, clock_.now_ms()));
  return record({actor, std::string(name), "agent.built", {{"module_hash", std::string(hash)}}});
}

}  // namespace naos
