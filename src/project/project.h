// Project — a directory with nexus.config.yaml, data/, agents/ and skills/.
// Knows where things live inside it; owns nothing open.
//
//   nexus.config.yaml        the configuration (project/config.h)
//   data/nexus.db            the SQLite database (store/database.h)
//   data/audit.key           only in projects from before the evidence folder, which
//                            takes the audit key on first open (governance/evidence.h)
//   data/secret.key          the key secrets are encrypted with (store/secret_store.h)
//   data/cache/modules/      compiled modules (sandbox/module_cache.h)
//   data/module_cache.key    the key that authenticates them (0600)
//   data/logs/<agent>.log    each agent's log (capabilities/agent_log.h)
//   data/stops/<agent>.json  a pending `naos stop` (core/run_stops.h)
//   agents/<name>/<name>.wasm  an agent's module unless `source:` says otherwise
#pragma once

#include <filesystem>
#include <string>

#include "base/result.h"
#include "project/config.h"

namespace naos::project {

inline constexpr const char* kConfigFileName = "nexus.config.yaml";

class Project {
 public:
  // Opens the project whose root is `root`, loading and validating its config.
  static Result<Project> open(const std::filesystem::path& root);
  // Walks up from `start` to the first folder holding nexus.config.yaml.
  // Errors: kNotFound when there is none up to the filesystem root.
  static Result<Project> find(const std::filesystem::path& start);

  const std::filesystem::path& root() const { return root_; }
  const Config& config() const { return config_; }

  std::filesystem::path config_file() const { return root_ / kConfigFileName; }
  std::filesystem::path data_dir() const { return root_ / "data"; }
  std::filesystem::path database_file() const { return data_dir() / "nexus.db"; }
  // Where the audit key was kept before it moved to the project's evidence
  // folder (governance/evidence.h); read once, to move it there.
  std::filesystem::path legacy_audit_key_file() const { return data_dir() / "audit.key"; }
  std::filesystem::path secret_key_file() const { return data_dir() / "secret.key"; }
  std::filesystem::path module_cache_dir() const { return data_dir() / "cache" / "modules"; }
  std::filesystem::path module_cache_key_file() const { return data_dir() / "module_cache.key"; }
  std::filesystem::path log_file(const std::string& agent) const { return data_dir() / "logs" / (agent + ".log"); }
  std::filesystem::path stops_dir() const { return data_dir() / "stops"; }
  // Where an agent's module is: its `source:`, else agents/<name>/<name>.wasm.
  std::filesystem::path module_file(const AgentConfig& agent) const;

 private:
  Project(std::filesystem::path root, Config config) : root_(std::move(root)), config_(std::move(config)) {}

  std::filesystem::path root_;
  Config config_;
};

}  // namespace naos::project
