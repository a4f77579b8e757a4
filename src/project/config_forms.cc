#include "project/config_forms.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <tuple>

#include "base/units.h"

namespace naos::project {
namespace {

using YAML::Node;
using Keys = std::span<const std::string_view>;

// ---- the documented keys, per path (docs/config.md "Documented forms") -----

constexpr std::string_view kTopKeys[] = {"project", "supervisor", "wasm",   "database", "advanced",
                                         "logging", "network",    "edge",   "marketplace"};
constexpr std::string_view kExecutionKeys[] = {"type"};
constexpr std::string_view kAgentKeys[] = {"cost", "axis", "autoStart", "model", "status", "sandbox", "wasm"};
constexpr std::string_view kAgentExecutionKeys[] = {"type", "timeoutSeconds"};
constexpr std::string_view kAgentCapabilityKeys[] = {"fileRead", "fileWrite"};
constexpr std::string_view kAgentCostKeys[] = {"budget", "action", "onExceed", "alertAt", "alert_at"};
constexpr std::string_view kAxisKeys[] = {"auid"};
constexpr std::string_view kSandboxKeys[] = {"memory_limit", "cpu_timeout", "network",    "filesystem", "allowed_hosts",
                                             "blocked_ports", "tls_verify", "rate_limit", "burst_limit"};
constexpr std::string_view kAgentWasmKeys[] = {"fuel", "memoryPages"};
constexpr std::string_view kSupervisorDefaultKeys[] = {"strategy", "maxRestarts", "max_restarts", "restartWindow",
                                                       "window",   "window_secs"};
constexpr std::string_view kSupervisorKeys[] = {"max_restarts", "window", "window_secs"};
constexpr std::string_view kWasmKeys[] = {"defaultFuel", "defaultMemoryPages", "enableSIMD", "enableThreads",
                                          "maxInstances"};
constexpr std::string_view kDatabaseKeys[] = {"path", "walMode", "busyTimeout", "cacheSize"};
constexpr std::string_view kAdvancedKeys[] = {"walMode"};
constexpr std::string_view kLoggingKeys[] = {"level", "format", "output", "auditRetention"};
constexpr std::string_view kNetworkKeys[] = {"dashboard", "timeout", "retries"};
constexpr std::string_view kNetworkDashboardKeys[] = {"host", "port", "cors"};
constexpr std::string_view kAuditKeys[] = {"retention_days", "compress_after", "export_format"};
constexpr std::string_view kCostKeys[] = {"budget",        "action",          "alertAt",    "alert_at", "alerts",
                                          "default_budget", "alert_threshold", "hard_limit"};
constexpr std::string_view kCostAlertKeys[] = {"threshold", "at", "action"};
constexpr std::string_view kBudgetKeys[] = {"daily", "monthly", "action", "alert_at"};
constexpr std::string_view kTrustKeys[] = {"provider", "requirements", "enforcement"};
constexpr std::string_view kRequirementsKeys[] = {"minTrustTier", "minTScore", "minCreditRating"};
constexpr std::string_view kEnforcementKeys[] = {"onUntrusted"};
constexpr std::string_view kBrokerKeys[] = {"routing", "preferences", "thresholds", "preferLocal", "fallbackModel"};
constexpr std::string_view kRoutingKeys[] = {"preferSkill", "llmAsLastResort", "confidenceThreshold", "llmProvider",
                                             "llmModel"};
constexpr std::string_view kPreferencesKeys[] = {"preferLocal", "maxLLMCost", "confidenceThreshold"};
constexpr std::string_view kThresholdKeys[] = {"skill", "wasm", "llm"};
constexpr std::string_view kSkillKeys[] = {"cost"};
constexpr std::string_view kSkillItemKeys[] = {"name", "description", "handler", "patterns", "costPerCall", "cost"};

constexpr SchemaKeyTable kKeyTables[] = {
    {"", kTopKeys},
    {"execution", kExecutionKeys},
    {"agents.*", kAgentKeys},
    {"agents.*.execution", kAgentExecutionKeys},
    {"agents.*.capabilities", kAgentCapabilityKeys},
    {"agents.*.cost", kAgentCostKeys},
    {"agents.*.axis", kAxisKeys},
    {"agents.*.sandbox", kSandboxKeys},
    {"agents.*.wasm", kAgentWasmKeys},
    {"supervisor", kSupervisorDefaultKeys},
    {"supervisors.*", kSupervisorKeys},
    {"wasm", kWasmKeys},
    {"database", kDatabaseKeys},
    {"advanced", kAdvancedKeys},
    {"logging", kLoggingKeys},
    {"network", kNetworkKeys},
    {"network.dashboard", kNetworkDashboardKeys},
    {"audit", kAuditKeys},
    {"cost", kCostKeys},
    {"cost.alerts[]", kCostAlertKeys},
    {"cost.budgets.*", kBudgetKeys},
    {"trust", kTrustKeys},
    {"trust.requirements", kRequirementsKeys},
    {"trust.enforcement", kEnforcementKeys},
    {"broker", kBrokerKeys},
    {"broker.routing", kRoutingKeys},
    {"broker.preferences", kPreferencesKeys},
    {"broker.thresholds", kThresholdKeys},
    {"skills.*", kSkillKeys},
    {"skills[]", kSkillItemKeys},
};

constexpr std::string_view kWasmNames[] = {"wasm"};
constexpr std::string_view kAxisNames[] = {"axis"};
constexpr std::string_view kRejectNames[] = {"reject"};
constexpr std::string_view kLevelNames[] = {"trace", "debug", "info", "warn", "error"};
constexpr std::string_view kFormatNames[] = {"text", "json"};
constexpr std::string_view kExportNames[] = {"json"};
constexpr std::string_view kSandboxFilesystemNames[] = {"none"};
constexpr std::string_view kTierNames[] = {"T1", "T2", "T3", "T4", "T5"};
// Copies of config.cc's names for the documented paths whose values move to
// a canonical key (the reader checks them there).
constexpr std::string_view kStrategyNames[] = {"one-for-one", "one-for-all", "rest-for-one"};
constexpr std::string_view kNetworkNames[] = {"none", "restricted", "open"};
constexpr std::string_view kRatingNames[] = {"AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"};

constexpr SchemaEnumTable kEnumTables[] = {
    {"execution.type", kWasmNames},
    {"agents.*.execution.type", kWasmNames},
    {"agents.*.sandbox.filesystem", kSandboxFilesystemNames},
    {"trust.provider", kAxisNames},
    {"trust.requirements.minTrustTier", kTierNames},
    {"trust.requirements.minCreditRating", kRatingNames},
    {"supervisor.strategy", kStrategyNames},
    {"agents.*.sandbox.network", kNetworkNames},
    {"trust.enforcement.onUntrusted", kRejectNames},
    {"logging.level", kLevelNames},
    {"logging.format", kFormatNames},
    {"audit.export_format", kExportNames},
};

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

// Reads the documented forms out of one tree. Each method handles one
// section; the order in run() matters only where one form feeds another
// (supervisor defaults before the supervisors they fill).
class Forms {
 public:
  Forms(Node& root, const std::string& label) : root_(root), label_(label) {}

  Result<DocumentedExtras> run() {
    if (!root_.IsMap()) return std::move(extras_);
    NAOS_TRY(project_name());
    NAOS_TRY(out_of_scope("edge", "Cloudflare edge deployment is out of scope for naos (PRODUCT.md); the section is "
                                  "ignored"));
    NAOS_TRY(out_of_scope("marketplace", "the skill marketplace is out of scope for naos (PRODUCT.md); the section "
                                         "is ignored"));
    NAOS_TRY(execution_type(root_, "execution"));
    NAOS_TRY(wasm());
    NAOS_TRY(ignored_sections());
    NAOS_TRY(logging());
    NAOS_TRY(network());
    NAOS_TRY(audit());
    NAOS_TRY(supervisors());
    NAOS_TRY(agents());
    NAOS_TRY(cost());
    NAOS_TRY(trust());
    NAOS_TRY(broker());
    NAOS_TRY(skills());
    return std::move(extras_);
  }

 private:
  // ---- errors and small readers --------------------------------------------

  Error error(const Node& node, const std::string& path, const std::string& message) const {
    std::string where = label_;
    YAML::Mark mark = node.Mark();
    if (mark.line >= 0) where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    return Error(Code::kInvalidArgument, path.empty() ? message : path + ": " + message, where);
  }

  void warn(const Node& node, const std::string& path, const std::string& message) {
    YAML::Mark mark = node.Mark();
    std::string where = label_;
    if (mark.line >= 0) where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    extras_.warnings.push_back({where, path + ": " + message});
  }

  // The key and value of `key` in `map`, when it is a mapping that has it.
  static std::optional<std::pair<Node, Node>> find(const Node& map, std::string_view key) {
    if (!map.IsMap()) return std::nullopt;
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key) return std::make_pair(it->first, it->second);
    }
    return std::nullopt;
  }

  // Only the documented keys of a documented-only section (`keys`).
  Status only(const Node& map, const std::string& path, Keys keys) const {
    if (map.IsNull()) return ok();
    if (!map.IsMap()) return error(map, path, "expected a mapping of keys to values");
    for (auto it = map.begin(); it != map.end(); ++it) {
      std::string key = it->first.Scalar();
      if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
      std::string best;
      size_t best_distance = SIZE_MAX;
      for (auto candidate : keys) {
        size_t d = edit_distance(key, candidate);
        if (d < best_distance) best_distance = d, best = std::string(candidate);
      }
      bool close = best_distance <= std::max<size_t>(2, key.size() / 3) && best_distance < key.size();
      return error(it->first, join(path, key), "unknown key" + (close ? "; did you mean " + best + "?" : ""));
    }
    return ok();
  }

  Result<std::string> scalar(const Node& node, const std::string& path) const {
    if (!node.IsScalar()) return error(node, path, "expected a single value");
    return node.Scalar();
  }

  Result<bool> boolean(const Node& node, const std::string& path) const {
    NAOS_ASSIGN_OR_RETURN(std::string value, scalar(node, path));
    if (value == "true") return true;
    if (value == "false") return false;
    return error(node, path, "expected true or false, got \"" + value + "\"");
  }

  Result<uint64_t> count(const Node& node, const std::string& path) const {
    NAOS_ASSIGN_OR_RETURN(std::string value, scalar(node, path));
    auto n = parse_count(value);
    if (!n) return error(node, path, n.error().message());
    return *n;
  }

  Result<std::string> choice(const Node& node, const std::string& path, Keys names) const {
    NAOS_ASSIGN_OR_RETURN(std::string value, scalar(node, path));
    for (auto name : names) {
      std::string underscored(name);
      std::replace(underscored.begin(), underscored.end(), '-', '_');
      if (value == name || value == underscored) return std::string(name);
    }
    std::string list;
    for (size_t i = 0; i < names.size(); ++i) list += (i ? (i + 1 == names.size() ? " or " : ", ") : "") + std::string(names[i]);
    return error(node, path, "expected " + list + ", got \"" + value + "\"");
  }

  // `value` under `to_key` of `to`, unless `to` has it already: a setting
  // given twice is an error at the documented form.
  Status put(Node to, const std::string& to_key, const Node& value, const Node& at, const std::string& path,
             const std::string& canonical_path) {
    if (find(to, to_key)) {
      return error(at, path, "the same setting as " + canonical_path + ", which is also set; keep one");
    }
    to[to_key] = value;
    return ok();
  }

  // `parent[key]` as a mapping, made one when absent or empty. Anything else
  // is left for the reader to refuse (it returns the node as it is).
  static Node section(Node parent, const std::string& key) {
    if (auto found = find(parent, key); found && !found->second.IsNull()) return found->second;
    return child_map(parent, key);
  }

  // A new, empty mapping at parent[key], made in the document.
  //
  // Nodes are only ever made this way, or as scalars, and a node of the
  // document is never assigned into a node made outside it: yaml-cpp then
  // merges the document's memory into the outside node's, and nodes made
  // later through an older handle land in memory nothing keeps alive (a
  // use-after-free once the outside node goes).
  static Node child_map(Node parent, const std::string& key) {
    parent[key] = Node(YAML::NodeType::Map);
    return parent[key];
  }

  // Seconds written as a bare number, as a duration node: "60" -> "60s".
  Result<Node> seconds(const Node& node, const std::string& path) const {
    NAOS_ASSIGN_OR_RETURN(uint64_t n, count(node, path));
    std::string text = std::to_string(n) + "s";
    auto parsed = parse_duration(text);
    if (!parsed) return error(node, path, parsed.error().message());
    return Node(text);
  }

  // "$10/day", "1000/month": money, then a period (also daily, monthly, ...).
  Result<std::pair<std::string, std::string>> budget_text(const Node& node, const std::string& path) const {
    NAOS_ASSIGN_OR_RETURN(std::string value, scalar(node, path));
    size_t slash = value.find('/');
    std::string usage = "expected an amount and a period, like \"$10/day\" (hour, day, week, month or total), got \"" +
                        value + "\"";
    if (slash == std::string::npos) return error(node, path, usage);
    std::string amount = value.substr(0, slash);
    std::string period = value.substr(slash + 1);
    static const std::pair<std::string_view, std::string_view> kPeriods[] = {
        {"hour", "hour"},   {"hourly", "hour"},   {"day", "day"},     {"daily", "day"}, {"week", "week"},
        {"weekly", "week"}, {"month", "month"},   {"monthly", "month"}, {"total", "total"}};
    for (const auto& [written, canonical] : kPeriods) {
      if (period != written) continue;
      auto cents = parse_money_cents(amount);
      if (!cents) return error(node, path, cents.error().message());
      if (*cents == 0) return error(node, path, "must be more than 0");
      return std::make_pair(amount, std::string(canonical));
    }
    return error(node, path, usage);
  }

  // ---- top level -----------------------------------------------------------

  Status project_name() {
    auto project = find(root_, "project");
    if (!project) return ok();
    NAOS_TRY(put(root_, "name", project->second, project->first, "project", "name"));
    root_.remove("project");
    return ok();
  }

  Status out_of_scope(const std::string& key, const std::string& message) {
    auto found = find(root_, key);
    if (!found) return ok();
    warn(found->first, key, message);
    root_.remove(key);
    return ok();
  }

  // `execution.type: wasm`: the only runtime there is.
  Status execution_type(Node parent, const std::string& path) {
    auto execution = find(parent, "execution");
    if (!execution) return ok();
    auto type = find(execution->second, "type");
    if (!type) return ok();
    NAOS_TRY(choice(type->second, join(path, "type"), kWasmNames));
    execution->second.remove("type");
    return ok();
  }

  // `wasm:` (Manual, advanced options): defaults of every agent's sandbox.
  Status wasm() {
    auto wasm = find(root_, "wasm");
    if (!wasm) return ok();
    NAOS_TRY(only(wasm->second, "wasm", kWasmKeys));
    if (wasm->second.IsMap()) {
      Node execution = section(root_, "execution");
      for (auto it = wasm->second.begin(); it != wasm->second.end(); ++it) {
        std::string key = it->first.Scalar();
        std::string at = join("wasm", key);
        if (key == "defaultFuel") {
          NAOS_TRY(put(execution, "fuel", it->second, it->first, at, "execution.fuel"));
        } else if (key == "maxInstances") {
          NAOS_TRY(put(execution, "maxInstances", it->second, it->first, at, "execution.maxInstances"));
        } else if (key == "defaultMemoryPages") {
          NAOS_ASSIGN_OR_RETURN(Node bytes, pages(it->second, at));
          NAOS_TRY(put(execution, "memoryLimit", bytes, it->first, at, "execution.memoryLimit"));
        } else if (key == "enableSIMD") {
          NAOS_TRY(boolean(it->second, at));
        } else if (key == "enableThreads") {
          NAOS_ASSIGN_OR_RETURN(bool threads, boolean(it->second, at));
          if (threads) return error(it->second, at, "naos does not run threaded modules (shared memory); set false");
        }
      }
    }
    root_.remove("wasm");
    return ok();
  }

  // Wasm pages of 64KiB, as bytes.
  Result<Node> pages(const Node& node, const std::string& path) const {
    NAOS_ASSIGN_OR_RETURN(uint64_t n, count(node, path));
    if (n == 0 || n > 65536) return error(node, path, "must be between 1 and 65536 pages of 64KiB (4GiB)");
    return Node(std::to_string(n * 65536));
  }

  // `database:` and `advanced:` tune a database naos manages itself.
  Status ignored_sections() {
    if (auto database = find(root_, "database")) {
      NAOS_TRY(only(database->second, "database", kDatabaseKeys));
      for (auto it = database->second.begin(); database->second.IsMap() && it != database->second.end(); ++it) {
        std::string key = it->first.Scalar();
        std::string at = join("database", key);
        if (key == "path") {
          NAOS_ASSIGN_OR_RETURN(std::string path, scalar(it->second, at));
          if (path != "data/nexus.db" && path != "./data/nexus.db") {
            return error(it->second, at, "the database is always data/nexus.db in the project (use --data-dir "
                                         "to move data/), got \"" + path + "\"");
          }
        } else if (key == "walMode") {
          NAOS_TRY(boolean(it->second, at));
        } else {
          NAOS_TRY(count(it->second, at));
        }
      }
      root_.remove("database");
    }
    if (auto advanced = find(root_, "advanced")) {
      NAOS_TRY(only(advanced->second, "advanced", kAdvancedKeys));
      if (auto wal = find(advanced->second, "walMode")) NAOS_TRY(boolean(wal->second, "advanced.walMode"));
      root_.remove("advanced");
    }
    return ok();
  }

  Status logging() {
    auto logging = find(root_, "logging");
    if (!logging) return ok();
    NAOS_TRY(only(logging->second, "logging", kLoggingKeys));
    for (auto it = logging->second.begin(); logging->second.IsMap() && it != logging->second.end(); ++it) {
      std::string key = it->first.Scalar();
      std::string at = join("logging", key);
      if (key == "level") {
        NAOS_TRY(choice(it->second, at, kLevelNames));
      } else if (key == "format") {
        NAOS_TRY(choice(it->second, at, kFormatNames));
      } else if (key == "output") {
        NAOS_TRY(scalar(it->second, at));
      } else if (key == "auditRetention") {
        NAOS_TRY(put(section(root_, "audit"), "retentionDays", it->second, it->first, at, "audit.retentionDays"));
      }
    }
    root_.remove("logging");
    return ok();
  }

  Status network() {
    auto network = find(root_, "network");
    if (!network) return ok();
    NAOS_TRY(only(network->second, "network", kNetworkKeys));
    for (auto it = network->second.begin(); network->second.IsMap() && it != network->second.end(); ++it) {
      std::string key = it->first.Scalar();
      std::string at = join("network", key);
      if (key == "dashboard") {
        NAOS_TRY(only(it->second, at, kNetworkDashboardKeys));
        for (auto field = it->second.begin(); it->second.IsMap() && field != it->second.end(); ++field) {
          std::string name = field->first.Scalar();
          std::string field_at = join(at, name);
          if (name == "host") {
            NAOS_TRY(put(section(root_, "dashboard"), "bind", field->second, field->first, field_at, "dashboard.bind"));
          } else if (name == "port") {
            NAOS_TRY(put(section(root_, "dashboard"), "port", field->second, field->first, field_at, "dashboard.port"));
          } else {
            NAOS_TRY(boolean(field->second, field_at));
          }
        }
      } else {
        NAOS_TRY(count(it->second, at));
      }
    }
    root_.remove("network");
    return ok();
  }

  Status audit() {
    auto audit = find(root_, "audit");
    if (!audit || !audit->second.IsMap()) return ok();
    Node map = audit->second;
    if (auto days = find(map, "retention_days")) {
      NAOS_TRY(put(map, "retentionDays", days->second, days->first, "audit.retention_days", "audit.retentionDays"));
      map.remove("retention_days");
    }
    if (auto compress = find(map, "compress_after")) {
      NAOS_TRY(count(compress->second, "audit.compress_after"));
      map.remove("compress_after");
    }
    if (auto format = find(map, "export_format")) {
      NAOS_TRY(choice(format->second, "audit.export_format", kExportNames));
      map.remove("export_format");
    }
    return ok();
  }

  // ---- supervisors ---------------------------------------------------------

  // `supervisor:` (singular) holds defaults for every supervisor; then the
  // snake_case keys of each one.
  Status supervisors() {
    std::vector<std::pair<std::string, Node>> defaults;  // canonical key -> value
    std::vector<Node> default_keys;
    if (auto defaults_entry = find(root_, "supervisor")) {
      const Node& map = defaults_entry->second;
      NAOS_TRY(only(map, "supervisor", kSupervisorDefaultKeys));
      std::set<std::string> seen;
      for (auto it = map.begin(); map.IsMap() && it != map.end(); ++it) {
        std::string key = it->first.Scalar();
        std::string at = join("supervisor", key);
        std::string canonical;
        Node value = it->second;
        if (key == "strategy") {
          canonical = "strategy";
          NAOS_TRY(choice(value, at, kStrategyNames));
        } else if (key == "maxRestarts" || key == "max_restarts") {
          canonical = "maxRestarts";
          NAOS_TRY(count(value, at));
        } else if (key == "window_secs") {
          canonical = "restartWindow";
          NAOS_ASSIGN_OR_RETURN(Node written, seconds(value, at));
          value.reset(written);  // rebinds the handle; `=` would overwrite the document's node
        } else {
          canonical = "restartWindow";
          NAOS_ASSIGN_OR_RETURN(std::string text, scalar(value, at));
          if (text.empty() || !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
            auto parsed = parse_duration(text);
            if (!parsed) return error(value, at, parsed.error().message());
          }
        }
        if (!seen.insert(canonical).second) {
          return error(it->first, at, "the same setting as another key of supervisor (" + canonical + "); keep one");
        }
        defaults.emplace_back(canonical, value);
      }
      root_.remove("supervisor");
    }
    auto supervisors = find(root_, "supervisors");
    if (!supervisors || !supervisors->second.IsMap()) return ok();
    // Handles first, then the edits: each entry is visited once (a lookup by
    // name is linear in yaml-cpp, and supervisors may be 20,000).
    std::vector<std::pair<std::string, Node>> entries;
    for (auto it = supervisors->second.begin(); it != supervisors->second.end(); ++it) {
      entries.emplace_back(it->first.Scalar(), it->second);
    }
    for (auto& [name, supervisor] : entries) {
      std::string path = "supervisors." + name;
      if (!supervisor.IsNull() && !supervisor.IsMap()) continue;  // the reader refuses it
      if (supervisor.IsNull() && defaults.empty()) continue;
      if (supervisor.IsNull()) supervisor.reset(section(supervisors->second, name));
      NAOS_TRY(rename(supervisor, path, "max_restarts", "maxRestarts"));
      NAOS_TRY(rename(supervisor, path, "window", "restartWindow"));
      if (auto secs = find(supervisor, "window_secs")) {
        NAOS_ASSIGN_OR_RETURN(Node value, seconds(secs->second, path + ".window_secs"));
        NAOS_TRY(put(supervisor, "restartWindow", value, secs->first, path + ".window_secs", path + ".restartWindow"));
        supervisor.remove("window_secs");
      }
      for (const auto& [key, value] : defaults) {
        if (!find(supervisor, key)) supervisor[key] = value;
      }
    }
    return ok();
  }

  // `from` in `map` becomes `to`.
  Status rename(Node map, const std::string& path, const std::string& from, const std::string& to) {
    auto found = find(map, from);
    if (!found) return ok();
    NAOS_TRY(put(map, to, found->second, found->first, join(path, from), join(path, to)));
    map.remove(from);
    return ok();
  }

  // ---- agents --------------------------------------------------------------

  Status agents() {
    auto agents = find(root_, "agents");
    if (!agents || !agents->second.IsMap()) return ok();
    std::vector<std::pair<std::string, Node>> entries;  // as in supervisors(): linear
    for (auto it = agents->second.begin(); it != agents->second.end(); ++it) {
      entries.emplace_back(it->first.Scalar(), it->second);
    }
    for (auto& [name, agent] : entries) {
      if (!agent.IsMap()) continue;
      std::string path = "agents." + name;
      NAOS_TRY(agent_budget(agent, name, path));
      NAOS_TRY(agent_axis(agent, name, path));
      NAOS_TRY(agent_ignored(agent, path));
      NAOS_TRY(agent_sandbox(agent, path));
      NAOS_TRY(agent_wasm(agent, path));
      NAOS_TRY(execution_type(agent, path + ".execution"));
      if (auto execution = find(agent, "execution")) {
        if (auto secs = find(execution->second, "timeoutSeconds")) {
          std::string at = path + ".execution.timeoutSeconds";
          NAOS_ASSIGN_OR_RETURN(Node value, seconds(secs->second, at));
          NAOS_TRY(put(execution->second, "timeout", value, secs->first, at, path + ".execution.timeout"));
          execution->second.remove("timeoutSeconds");
        }
      }
      NAOS_TRY(agent_capabilities(agent, path));
    }
    return ok();
  }

  // `agents.X.cost: { budget: "$10/day", action, alertAt }` is X's budget.
  Status agent_budget(Node agent, const std::string& name, const std::string& path) {
    auto cost = find(agent, "cost");
    if (!cost) return ok();
    std::string at = path + ".cost";
    NAOS_TRY(only(cost->second, at, kAgentCostKeys));
    NAOS_TRY(budget_from(cost->second, at, name, cost->first));
    agent.remove("cost");
    return ok();
  }

  // A budget written as { budget: "$10/day", action|onExceed, alertAt|alert_at }
  // (an agent's cost section, or an entry of the appendix's cost map) into
  // cost.budgets.TARGET.
  Status budget_from(const Node& map, const std::string& path, const std::string& target, const Node& at) {
    if (!map.IsMap()) return error(map, path, "expected a mapping like { budget: \"$10/day\", action: pause }");
    auto budget = find(map, "budget");
    if (!budget) return error(map, path, "needs budget, like \"$10/day\"");
    return add_budget(budget->second, path + ".budget", target, at, &map);
  }

  // cost.budgets.TARGET from a "$10/day" (`budget`), with the action and
  // alert of `options` when given.
  Status add_budget(const Node& budget, const std::string& budget_path, const std::string& target, const Node& at,
                    const Node* options) {
    std::string path = budget_path.substr(0, budget_path.rfind('.'));
    NAOS_ASSIGN_OR_RETURN(auto amount, budget_text(budget, budget_path));
    if (!budget_names().insert(target).second) {
      return error(at, path, "the same budget as cost.budgets." + target + ", which is also set; keep one");
    }
    Node out(YAML::NodeType::Map);
    budgets_section().force_insert(target, out);  // the document takes it first (child_map's rule)
    out["limit"] = Node(amount.first);
    out["period"] = Node(amount.second);
    if (options == nullptr) return ok();
    const Node& map = *options;
    for (auto it = map.begin(); it != map.end(); ++it) {
      std::string key = it->first.Scalar();
      if (key == "action" || key == "onExceed") {
        if (find(out, "onExceed")) return error(it->first, join(path, key), "action and onExceed are one setting; keep one");
        out["onExceed"] = it->second;
      } else if (key == "alertAt" || key == "alert_at") {
        if (find(out, "alertAt")) return error(it->first, join(path, key), "alertAt and alert_at are one setting; keep one");
        out["alertAt"] = it->second;
      }
    }
    return ok();
  }

  Status agent_axis(Node agent, const std::string& name, const std::string& path) {
    auto axis = find(agent, "axis");
    if (!axis) return ok();
    NAOS_TRY(only(axis->second, path + ".axis", kAxisKeys));
    if (auto auid = find(axis->second, "auid")) {
      NAOS_ASSIGN_OR_RETURN(std::string value, scalar(auid->second, path + ".axis.auid"));
      extras_.auids[name] = value;
    }
    agent.remove("axis");
    return ok();
  }

  // autoStart, model and status: accepted, with no effect (docs/config.md).
  Status agent_ignored(Node agent, const std::string& path) {
    if (auto auto_start = find(agent, "autoStart")) {
      NAOS_TRY(boolean(auto_start->second, path + ".autoStart"));
      agent.remove("autoStart");
    }
    for (const char* key : {"model", "status"}) {
      if (auto found = find(agent, key)) {
        NAOS_TRY(scalar(found->second, join(path, key)));
        agent.remove(key);
      }
    }
    return ok();
  }

  // `sandbox:` (Manual, security pages): limits and grants in snake_case.
  Status agent_sandbox(Node agent, const std::string& path) {
    auto sandbox = find(agent, "sandbox");
    if (!sandbox) return ok();
    std::string at = path + ".sandbox";
    NAOS_TRY(only(sandbox->second, at, kSandboxKeys));
    for (auto it = sandbox->second.begin(); sandbox->second.IsMap() && it != sandbox->second.end(); ++it) {
      std::string key = it->first.Scalar();
      std::string key_at = join(at, key);
      if (key == "memory_limit") {
        NAOS_TRY(put(section(agent, "execution"), "memoryLimit", it->second, it->first, key_at,
                     path + ".execution.memoryLimit"));
      } else if (key == "cpu_timeout") {
        NAOS_TRY(put(section(agent, "execution"), "timeout", it->second, it->first, key_at, path + ".execution.timeout"));
      } else if (key == "network") {
        NAOS_TRY(put(section(agent, "capabilities"), "network", it->second, it->first, key_at,
                     path + ".capabilities.network"));
      } else if (key == "allowed_hosts") {
        NAOS_TRY(put(section(agent, "capabilities"), "allowedHosts", it->second, it->first, key_at,
                     path + ".capabilities.allowedHosts"));
      } else if (key == "filesystem") {
        NAOS_ASSIGN_OR_RETURN(std::string mode, scalar(it->second, key_at));
        if (mode != "none") {
          return error(it->second, key_at,
                       "\"" + mode + "\" names no folder; grant folders with capabilities.filesystem: "
                       "{ read: [folder], write: [folder] }");
        }
      } else if (key == "tls_verify") {
        NAOS_ASSIGN_OR_RETURN(bool verify, boolean(it->second, key_at));
        if (!verify) return error(it->second, key_at, "naos always verifies TLS certificates; remove it or set true");
      } else if (key == "blocked_ports") {
        if (!it->second.IsSequence()) return error(it->second, key_at, "expected a list of ports");
        for (size_t i = 0; i < it->second.size(); ++i) NAOS_TRY(count(it->second[i], key_at + "[" + std::to_string(i) + "]"));
      } else if (key == "burst_limit") {
        NAOS_TRY(count(it->second, key_at));
      } else {
        NAOS_TRY(scalar(it->second, key_at));  // rate_limit: 10/s
      }
    }
    agent.remove("sandbox");
    return ok();
  }

  Status agent_wasm(Node agent, const std::string& path) {
    auto wasm = find(agent, "wasm");
    if (!wasm) return ok();
    std::string at = path + ".wasm";
    NAOS_TRY(only(wasm->second, at, kAgentWasmKeys));
    for (auto it = wasm->second.begin(); wasm->second.IsMap() && it != wasm->second.end(); ++it) {
      std::string key = it->first.Scalar();
      if (key == "fuel") {
        NAOS_TRY(put(section(agent, "execution"), "fuel", it->second, it->first, join(at, key), path + ".execution.fuel"));
      } else {
        NAOS_ASSIGN_OR_RETURN(Node bytes, pages(it->second, join(at, key)));
        NAOS_TRY(put(section(agent, "execution"), "memoryLimit", bytes, it->first, join(at, key),
                     path + ".execution.memoryLimit"));
      }
    }
    agent.remove("wasm");
    return ok();
  }

  // `network: true|false` (a boolean in the Manual's sandbox page),
  // `fileRead`/`fileWrite: false`; a list of {resource, actions} is refused.
  Status agent_capabilities(Node agent, const std::string& path) {
    auto capabilities = find(agent, "capabilities");
    if (!capabilities) return ok();
    std::string at = path + ".capabilities";
    if (capabilities->second.IsSequence()) {
      return error(capabilities->second, at,
                   "capabilities as a list of { resource, actions } cannot be mapped to grants; write "
                   "{ network: restricted, allowedHosts: [...], filesystem: { read: [...], write: [...] } }");
    }
    if (!capabilities->second.IsMap()) return ok();
    Node map = capabilities->second;
    if (auto network = find(map, "network"); network && network->second.IsScalar()) {
      const std::string& value = network->second.Scalar();
      if (value == "true" || value == "false") {
        // Removed and added, not assigned: assigning would overwrite the
        // value node, which an alias may share.
        std::string mode = value == "true" ? "open" : "none";
        map.remove("network");
        map["network"] = Node(mode);
      }
    }
    for (const char* key : {"fileRead", "fileWrite"}) {
      auto found = find(map, key);
      if (!found) continue;
      NAOS_ASSIGN_OR_RETURN(bool granted, boolean(found->second, join(at, key)));
      if (granted) {
        return error(found->second, join(at, key),
                     "names no folder; grant folders with filesystem: { " +
                         std::string(std::string_view(key) == "fileRead" ? "read" : "write") + ": [folder] }");
      }
      map.remove(key);
    }
    return ok();
  }

  // ---- cost ----------------------------------------------------------------

  Status cost() {
    auto cost = find(root_, "cost");
    if (!cost || !cost->second.IsMap()) return ok();
    Node map = cost->second;
    // Defaults for every budget that sets none: alertAt and onExceed.
    // (std::optional<Node> is set with emplace: assigning a Node overwrites
    // the node it refers to, in the document.)
    std::optional<Node> default_alert, default_action;
    // Each entry is visited once and removals are collected, then the map
    // is rebuilt once: lookups and removals are linear in yaml-cpp, and the
    // landing page's form has an entry per agent.
    std::vector<std::tuple<std::string, Node, Node>> entries;
    for (auto it = map.begin(); it != map.end(); ++it) entries.emplace_back(it->first.Scalar(), it->first, it->second);
    std::set<std::string> removed;
    std::set<std::string> agent_names;
    if (auto agents = find(root_, "agents"); agents && agents->second.IsMap()) {
      for (auto it = agents->second.begin(); it != agents->second.end(); ++it) agent_names.insert(it->first.Scalar());
    }
    for (auto& [key, key_node, value] : entries) {
      std::string at = join("cost", key);
      if (key == "budget") {
        NAOS_TRY(add_budget(value, "cost.budget", std::string(kGlobalBudget), key_node, nullptr));
        removed.insert(key);
      } else if (key == "action") {
        default_action.emplace(value);
        removed.insert(key);
      } else if (key == "alertAt" || key == "alert_at") {
        if (default_alert) return error(key_node, at, "alertAt and alert_at are one setting; keep one");
        default_alert.emplace(value);
        removed.insert(key);
      } else if (key == "alert_threshold") {
        if (default_alert) return error(key_node, at, "the same setting as cost.alertAt; keep one");
        NAOS_ASSIGN_OR_RETURN(std::string text, scalar(value, at));
        auto percent = fraction_percent(text);
        if (!percent) return error(value, at, "expected a fraction from 0 to 1 like 0.8, got \"" + text + "\"");
        default_alert.emplace(Node(std::to_string(*percent)));
        removed.insert(key);
      } else if (key == "alerts") {
        if (default_alert) return error(key_node, at, "the same setting as cost.alertAt; keep one");
        NAOS_ASSIGN_OR_RETURN(Node lowest, lowest_alert(value, at));
        default_alert.emplace(lowest);
        removed.insert(key);
      } else if (key == "hard_limit") {
        NAOS_ASSIGN_OR_RETURN(bool hard, boolean(value, at));
        NAOS_TRY(put(map, "enforcement", Node(hard ? "hard" : "soft"), key_node, at, "cost.enforcement"));
        removed.insert(key);
      } else if (key == "default_budget") {
        NAOS_TRY(default_budget(value, key_node, at));
        removed.insert(key);
      } else if (key != "budgets" && agent_names.count(key) && value.IsMap() && find(value, "budget")) {
        // The landing page's form: cost: { researcher: { budget: $10/day } }.
        NAOS_TRY(only(value, at, kAgentCostKeys));
        NAOS_TRY(budget_from(value, at, key, key_node));
        removed.insert(key);
      }
    }
    if (!removed.empty()) {
      std::vector<std::pair<Node, Node>> kept;
      for (auto it = map.begin(); it != map.end(); ++it) {
        if (!removed.count(it->first.Scalar())) kept.emplace_back(it->first, it->second);
      }
      Node rebuilt(YAML::NodeType::Map);
      root_["cost"] = rebuilt;  // the document takes it first (child_map's rule)
      for (auto& [key, value] : kept) rebuilt.force_insert(key, value);
      map.reset(rebuilt);
    }
    auto budgets = find(map, "budgets");
    if (budgets && budgets->second.IsMap()) {
      std::vector<std::pair<std::string, Node>> entries;
      for (auto it = budgets->second.begin(); it != budgets->second.end(); ++it) {
        entries.emplace_back(it->first.Scalar(), it->second);
      }
      for (auto& [target, budget] : entries) {
        if (!budget.IsMap()) continue;
        std::string at = "cost.budgets." + target;
        NAOS_TRY(daily_monthly(budget, at));
        NAOS_TRY(rename(budget, at, "action", "onExceed"));
        NAOS_TRY(rename(budget, at, "alert_at", "alertAt"));
        if (default_alert && !find(budget, "alertAt")) budget["alertAt"] = *default_alert;
        if (default_action && !find(budget, "onExceed")) budget["onExceed"] = *default_action;
      }
    }
    return ok();
  }

  // "0.8" -> 80: the appendix's alert_threshold.
  static std::optional<uint32_t> fraction_percent(const std::string& text) {
    if (text == "1" || text == "1.0") return 100;
    if (text == "0") return 0;
    if (!text.starts_with("0.") || text.size() < 3 || text.size() > 4) return std::nullopt;
    if (!std::all_of(text.begin() + 2, text.end(), [](unsigned char c) { return std::isdigit(c); })) {
      return std::nullopt;
    }
    uint32_t percent = (text[2] - '0') * 10 + (text.size() == 4 ? text[3] - '0' : 0);
    return percent;
  }

  // `alerts: [{threshold: 80}, {at: 95, action: throttle}]`: naos alerts at
  // one threshold per budget, the lowest.
  Result<Node> lowest_alert(const Node& list, const std::string& path) const {
    if (!list.IsSequence() || list.size() == 0) return error(list, path, "expected a list like [{ threshold: 80 }]");
    std::optional<Node> lowest;
    uint64_t lowest_value = UINT64_MAX;
    for (size_t i = 0; i < list.size(); ++i) {
      std::string at = path + "[" + std::to_string(i) + "]";
      NAOS_TRY(only(list[i], at, kCostAlertKeys));
      auto threshold = find(list[i], "threshold");
      if (!threshold) threshold = find(list[i], "at");
      if (!threshold) return error(list[i], at, "needs threshold (a percentage)");
      NAOS_ASSIGN_OR_RETURN(std::string text, scalar(threshold->second, at + ".threshold"));
      std::string digits = text.ends_with('%') ? text.substr(0, text.size() - 1) : text;
      auto n = parse_count(digits);
      if (!n || *n > 100) return error(threshold->second, at, "expected a percentage from 0 to 100, got \"" + text + "\"");
      if (auto action = find(list[i], "action")) NAOS_TRY(scalar(action->second, at + ".action"));
      if (*n < lowest_value) lowest_value = *n, lowest.reset(), lowest.emplace(threshold->second);
    }
    return *lowest;
  }

  // `default_budget: 1000` (cents): a daily budget for every agent without one.
  Status default_budget(const Node& value, const Node& key, const std::string& path) {
    NAOS_ASSIGN_OR_RETURN(std::string text, scalar(value, path));
    auto cents = parse_money_cents(text);
    if (!cents) return error(value, path, cents.error().message());
    auto agents = find(root_, "agents");
    if (!agents || !agents->second.IsMap()) return ok();
    for (auto it = agents->second.begin(); it != agents->second.end(); ++it) {
      std::string agent = it->first.Scalar();
      if (!budget_names().insert(agent).second) continue;
      Node budget(YAML::NodeType::Map);
      budgets_section().force_insert(agent, budget);
      budget["limit"] = Node(text);
      budget["period"] = Node("day");
    }
    return ok();
  }

  // `daily: 1000` / `monthly: 20000` (cents): limit and period.
  Status daily_monthly(Node budget, const std::string& path) {
    auto daily = find(budget, "daily");
    auto monthly = find(budget, "monthly");
    if (daily && monthly) {
      return error(monthly->first, path + ".monthly",
                   "naos keeps one budget per agent: give daily or monthly (or limit and period), not both");
    }
    auto found = daily ? daily : monthly;
    if (!found) return ok();
    std::string key = daily ? "daily" : "monthly";
    NAOS_TRY(put(budget, "limit", found->second, found->first, join(path, key), path + ".limit"));
    NAOS_TRY(put(budget, "period", Node(daily ? "day" : "month"), found->first, join(path, key), path + ".period"));
    budget.remove(key);
    return ok();
  }

  // ---- trust ---------------------------------------------------------------

  Status trust() {
    auto trust = find(root_, "trust");
    if (!trust || !trust->second.IsMap()) return ok();
    Node map = trust->second;
    if (auto provider = find(map, "provider")) {
      NAOS_TRY(choice(provider->second, "trust.provider", kAxisNames));
      map.remove("provider");
    }
    if (auto requirements = find(map, "requirements")) {
      NAOS_TRY(only(requirements->second, "trust.requirements", kRequirementsKeys));
      for (auto it = requirements->second.begin(); requirements->second.IsMap() && it != requirements->second.end();
           ++it) {
        std::string key = it->first.Scalar();
        std::string at = join("trust.requirements", key);
        if (key == "minTrustTier") {
          NAOS_TRY(put(map, "minimumTier", it->second, it->first, at, "trust.minimumTier"));
        } else if (key == "minCreditRating") {
          NAOS_TRY(put(map, "minCreditRating", it->second, it->first, at, "trust.minCreditRating"));
        } else {
          NAOS_ASSIGN_OR_RETURN(uint64_t score, count(it->second, at));
          if (score > 100) return error(it->second, at, "a T-Score is from 0 to 100");
          extras_.min_t_score = static_cast<uint32_t>(score);
        }
      }
      map.remove("requirements");
    }
    if (auto enforcement = find(map, "enforcement")) {
      NAOS_TRY(only(enforcement->second, "trust.enforcement", kEnforcementKeys));
      if (auto on = find(enforcement->second, "onUntrusted")) {
        NAOS_TRY(choice(on->second, "trust.enforcement.onUntrusted", kRejectNames));
      }
      map.remove("enforcement");
    }
    return ok();
  }

  // ---- broker and skills ---------------------------------------------------

  Status broker() {
    auto broker = find(root_, "broker");
    if (!broker || !broker->second.IsMap()) return ok();
    Node map = broker->second;
    std::optional<std::pair<Node, Node>> provider, model;  // key, value
    if (auto routing = find(map, "routing")) {
      NAOS_TRY(only(routing->second, "broker.routing", kRoutingKeys));
      for (auto it = routing->second.begin(); routing->second.IsMap() && it != routing->second.end(); ++it) {
        std::string key = it->first.Scalar();
        std::string at = join("broker.routing", key);
        if (key == "llmProvider") {
          provider.emplace(it->first, it->second);
        } else if (key == "llmModel") {
          model.emplace(it->first, it->second);
        } else {
          NAOS_TRY(put(map, key, it->second, it->first, at, join("broker", key)));
        }
      }
      map.remove("routing");
    }
    if (auto preferences = find(map, "preferences")) {
      NAOS_TRY(only(preferences->second, "broker.preferences", kPreferencesKeys));
      for (auto it = preferences->second.begin(); preferences->second.IsMap() && it != preferences->second.end(); ++it) {
        std::string key = it->first.Scalar();
        std::string at = join("broker.preferences", key);
        if (key == "preferLocal") {
          NAOS_TRY(put(map, "preferSkill", it->second, it->first, at, "broker.preferSkill"));
        } else if (key == "confidenceThreshold") {
          NAOS_TRY(put(map, "confidenceThreshold", it->second, it->first, at, "broker.confidenceThreshold"));
        } else {
          NAOS_ASSIGN_OR_RETURN(std::string text, scalar(it->second, at));
          auto cents = parse_money_cents(text);
          if (!cents) return error(it->second, at, cents.error().message());
        }
      }
      map.remove("preferences");
    }
    if (auto thresholds = find(map, "thresholds")) {
      NAOS_TRY(only(thresholds->second, "broker.thresholds", kThresholdKeys));
      for (auto it = thresholds->second.begin(); thresholds->second.IsMap() && it != thresholds->second.end(); ++it) {
        std::string key = it->first.Scalar();
        std::string at = join("broker.thresholds", key);
        if (key == "skill") {
          NAOS_TRY(put(map, "confidenceThreshold", it->second, it->first, at, "broker.confidenceThreshold"));
        } else {
          NAOS_TRY(scalar(it->second, at));  // a tier naos does not gate separately
        }
      }
      map.remove("thresholds");
    }
    if (auto prefer_local = find(map, "preferLocal")) {
      NAOS_TRY(put(map, "preferSkill", prefer_local->second, prefer_local->first, "broker.preferLocal",
                   "broker.preferSkill"));
      map.remove("preferLocal");
    }
    if (auto fallback = find(map, "fallbackModel")) {
      if (model) return error(fallback->first, "broker.fallbackModel", "the same setting as broker.routing.llmModel; keep one");
      model.emplace(*fallback);
      map.remove("fallbackModel");
    }
    if (!provider && !model) return ok();
    return broker_llm(map, provider, model);
  }

  // routing.llmProvider / llmModel (or fallbackModel) as broker.llm. A
  // provider the file does not configure, if it is one naos knows, gets the
  // documented key variable (ANTHROPIC_API_KEY, OPENAI_API_KEY).
  Status broker_llm(Node broker, const std::optional<std::pair<Node, Node>>& provider,
                    const std::optional<std::pair<Node, Node>>& model) {
    const Node& at = provider ? provider->first : model->first;
    std::string path = provider ? "broker.routing.llmProvider" : "broker.routing.llmModel";
    if (find(broker, "llm")) return error(at, path, "the same setting as broker.llm, which is also set; keep one");
    std::string provider_name;
    if (provider) {
      NAOS_ASSIGN_OR_RETURN(provider_name, scalar(provider->second, path));
    } else {
      NAOS_ASSIGN_OR_RETURN(std::string name, scalar(model->second, path));
      if (name.starts_with("claude")) provider_name = "anthropic";
      if (name.starts_with("gpt") || name.starts_with("o1") || name.starts_with("o3")) provider_name = "openai";
      if (provider_name.empty()) return error(model->second, path, "name the provider too (broker.llm.provider)");
    }
    if (!model) return error(at, path, "needs a model too (llmModel)");
    Node llm = child_map(broker, "llm");
    llm["provider"] = provider ? provider->second : Node(provider_name);
    llm["model"] = model->second;
    Node providers = section(section(root_, "llm"), "providers");
    if (!find(providers, provider_name) && (provider_name == "anthropic" || provider_name == "openai")) {
      std::string variable = provider_name == "anthropic" ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY";
      child_map(providers, provider_name)["apiKey"] = Node("${" + variable + "}");
    }
    return ok();
  }

  Status skills() {
    auto skills = find(root_, "skills");
    if (!skills) return ok();
    if (skills->second.IsSequence()) {
      // The list form: [{ name, handler, patterns, description, cost }].
      // Each item is checked where it has a position; then the list is
      // replaced by the map, made in the document (child_map).
      Node list = skills->second;
      struct Item {
        std::string skill, at;
        Node node;
      };
      std::vector<Item> items;
      for (size_t i = 0; i < list.size(); ++i) {
        Node item = list[i];
        std::string at = "skills[" + std::to_string(i) + "]";
        NAOS_TRY(only(item, at, kSkillItemKeys));
        if (!item.IsMap()) return error(item, at, "expected a mapping like { name: summarize, handler: ..., patterns: [...] }");
        auto name = find(item, "name");
        if (!name) return error(item, at, "a skill in the list form needs a name");
        NAOS_ASSIGN_OR_RETURN(std::string skill, scalar(name->second, at + ".name"));
        if (!find(item, "handler")) return error(item, at, "a skill needs a handler (skills/NAME.wasm)");
        if (!find(item, "patterns")) return error(item, at, "a skill needs patterns (the words that route a task to it)");
        bool duplicate = std::any_of(items.begin(), items.end(), [&](const Item& seen) { return seen.skill == skill; });
        if (duplicate) return error(name->second, at + ".name", "duplicate skill \"" + skill + "\"");
        items.push_back({skill, at, item});
      }
      root_.remove("skills");
      Node map = child_map(root_, "skills");
      for (const Item& item : items) {
        Node entry = child_map(map, item.skill);
        for (auto it = item.node.begin(); it != item.node.end(); ++it) {
          if (it->first.Scalar() != "name") entry[it->first.Scalar()] = it->second;
        }
        NAOS_TRY(skill_cost(entry, item.at));
      }
      return ok();
    }
    if (!skills->second.IsMap()) return ok();
    for (auto it = skills->second.begin(); it != skills->second.end(); ++it) {
      if (it->second.IsMap()) NAOS_TRY(skill_cost(it->second, "skills." + it->first.Scalar()));
    }
    return ok();
  }

  // `cost: "$0.0001"` is costPerCall; a `fn:` handler has no module.
  Status skill_cost(Node skill, const std::string& path) {
    if (auto handler = find(skill, "handler"); handler && handler->second.IsScalar() &&
                                               handler->second.Scalar().starts_with("fn:")) {
      return error(handler->second, path + ".handler",
                   "built-in function handlers (fn:NAME) do not exist in naos; a skill's handler is a .wasm module "
                   "(skills/NAME.wasm)");
    }
    return rename(skill, path, "cost", "costPerCall");
  }

  // cost.budgets, made when first needed, and the names in it: a budget is
  // added per agent, so neither is looked up again each time.
  Node budgets_section() {
    if (!budgets_) budgets_.emplace(section(section(root_, "cost"), "budgets"));
    return *budgets_;
  }
  std::set<std::string>& budget_names() {
    if (!budget_names_) {
      budget_names_.emplace();
      Node budgets = budgets_section();
      for (auto it = budgets.begin(); budgets.IsMap() && it != budgets.end(); ++it) {
        budget_names_->insert(it->first.Scalar());
      }
    }
    return *budget_names_;
  }

  Node& root_;
  std::optional<Node> budgets_;
  std::optional<std::set<std::string>> budget_names_;
  const std::string& label_;
  DocumentedExtras extras_;
};

}  // namespace

Result<DocumentedExtras> rewrite_documented_forms(YAML::Node& root, const std::string& label) {
  return Forms(root, label).run();
}

std::span<const SchemaKeyTable> documented_key_tables() { return kKeyTables; }
std::span<const SchemaEnumTable> documented_enum_tables() { return kEnumTables; }

}  // namespace naos::project
