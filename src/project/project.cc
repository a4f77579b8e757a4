#include "project/project.h"

namespace naos::project {

Result<Project> Project::open(const std::filesystem::path& root) {
  std::error_code ec;
  auto absolute = std::filesystem::weakly_canonical(root, ec);
  if (ec) absolute = std::filesystem::absolute(root);
  if (!std::filesystem::exists(absolute / kConfigFileName)) {
    return Error(Code::kNotFound, std::string("no ") + kConfigFileName + " here (run `naos init` to make a project)",
                 absolute.string());
  }
  NAOS_ASSIGN_OR_RETURN(Config config, load_config(absolute / kConfigFileName));
  return Project(absolute, std::move(config));
}

Result<Project> Project::find(const std::filesystem::path& start) {
  std::error_code ec;
  auto dir = std::filesystem::weakly_canonical(start, ec);
  if (ec) dir = std::filesystem::absolute(start);
  for (auto at = dir;; at = at.parent_path()) {
    if (std::filesystem::exists(at / kConfigFileName)) return open(at);
    if (at == at.parent_path()) break;
  }
  return Error(Code::kNotFound,
               std::string("not inside a naos project (no ") + kConfigFileName + " here or above; use --project DIR)",
               dir.string());
}

std::filesystem::path Project::module_file(const AgentConfig& agent) const {
  if (!agent.source.empty()) return root_ / agent.source;
  return root_ / "agents" / agent.name / (agent.name + ".wasm");
}

}  // namespace naos::project
