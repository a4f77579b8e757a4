#include "project/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <span>
#include <sstream>

#include "base/units.h"
#include "capabilities/http.h"

namespace naos::project {
namespace {

using Keys = std::span<const std::string_view>;

constexpr std::string_view kTopLevelKeys[] = {"name",   "version", "execution", "agents", "supervisors", "sagas",
                                "workflows", "pools", "cost",      "trust",  "broker",      "skills",
                                "llm",    "dashboard", "audit"};
constexpr std::string_view kExecutionKeys[] = {"memoryLimit", "timeout", "fuel", "maxInstances", "maxOutput", "maxStack"};
constexpr std::string_view kAgentKeys[] = {"template", "source", "description", "execution", "capabilities", "tests", "metadata"};
constexpr std::string_view kCapabilityKeys[] = {"network", "allowedHosts", "filesystem", "env", "kv", "llm"};
constexpr std::string_view kFilesystemKeys[] = {"read", "write"};
constexpr std::string_view kTestKeys[] = {"input", "expect"};

// Reads YAML nodes into Config, turning every problem into one Error that
// points at the node.
class Reader {
 public:
  explicit Reader(std::string label) : label_(std::move(label)) {}

  Error error(const YAML::Node& node, const std::string& path, const std::string& message) const {
    auto mark = node.Mark();
    std::string where = label_;
    if (mark.line >= 0) where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    return Error(Code::kInvalidArgument, path.empty() ? message : path + ": " + message, where);
  }

  Status expect_map(const YAML::Node& node, const std::string& path) const {
    if (!node.IsMap()) return error(node, path, "expected a mapping of keys to values");
    return ok();
  }

  // Every key must be one of `allowed`; a near miss gets a suggestion.
  Status check_keys(const YAML::Node& map, const std::string& path, Keys allowed) const {
    NAOS_TRY(expect_map(map, path));
    std::set<std::string> seen;
    for (const auto& item : map) {
      std::string key = item.first.Scalar();
      // yaml-cpp keeps the last of two equal keys; YAML forbids them, and a
      // silently dropped agent or grant is worse than an error.
      if (!seen.insert(key).second) return error(item.first, join(path, key), "duplicate key");
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string_view best;
      size_t best_distance = SIZE_MAX;
      for (auto candidate : allowed) {
        size_t d = edit_distance(key, candidate);
        if (d < best_distance) best_distance = d, best = candidate;
      }
      std::string message = "unknown key";
      if (best_distance <= std::max<size_t>(2, key.size() / 3)) message += "; did you mean " + std::string(best) + "?";
      return error(item.first, join(path, key), message);
    }
    return ok();
  }

  Result<std::string> scalar(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar()) return error(node, path, "expected a single value");
    return node.Scalar();
  }

  Result<bool> boolean(const YAML::Node& node, const std::string& path) const {
    NAOS_ASSIGN_OR_RETURN(std::string text, scalar(node, path));
    if (text == "true") return true;
    if (text == "false") return false;
    return error(node, path, "expected true or false, got \"" + text + "\"");
  }

  Result<std::vector<std::string>> strings(const YAML::Node& node, const std::string& path) const {
    if (!node.IsSequence()) return error(node, path, "expected a list");
    std::vector<std::string> out;
    for (size_t i = 0; i < node.size(); ++i) {
      NAOS_ASSIGN_OR_RETURN(std::string item, scalar(node[i], path + "[" + std::to_string(i) + "]"));
      out.push_back(std::move(item));
    }
    return out;
  }

  template <typename T, typename Parse>
  Result<T> parsed(const YAML::Node& node, const std::string& path, Parse parse) const {
    NAOS_ASSIGN_OR_RETURN(std::string text, scalar(node, path));
    auto value = parse(text);
    if (!value) return error(node, path, value.error().message());
    return *value;
  }

  Result<ExecutionConfig> execution(const YAML::Node& node, const std::string& path, bool top_level) const {
    NAOS_TRY(check_keys(node, path, kExecutionKeys));
    ExecutionConfig out;
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      if (!top_level && (key == "maxInstances" || key == "maxStack")) {
        return error(item.first, at, "can only be set in the top-level execution section (it is engine-wide)");
      }
      if (key == "memoryLimit") {
        NAOS_ASSIGN_OR_RETURN(out.memory_bytes, parsed<uint64_t>(item.second, at, parse_size));
        if (*out.memory_bytes < 65536 || *out.memory_bytes > (4ull << 30)) {
          return error(item.second, at, "must be between 64KiB and 4GiB (wasm32's whole address space)");
        }
      } else if (key == "timeout") {
        NAOS_ASSIGN_OR_RETURN(out.timeout, parsed<std::chrono::milliseconds>(item.second, at, parse_duration));
        if (out.timeout->count() == 0) return error(item.second, at, "must be longer than 0");
      } else if (key == "fuel") {
        NAOS_ASSIGN_OR_RETURN(out.fuel, parsed<uint64_t>(item.second, at, parse_count));
      } else if (key == "maxInstances") {
        NAOS_ASSIGN_OR_RETURN(uint64_t n, parsed<uint64_t>(item.second, at, parse_count));
        if (n == 0 || n > 10'000) return error(item.second, at, "must be between 1 and 10000");
        out.max_instances = static_cast<uint32_t>(n);
      } else if (key == "maxOutput") {
        NAOS_ASSIGN_OR_RETURN(out.max_output_bytes, parsed<uint64_t>(item.second, at, parse_size));
      } else if (key == "maxStack") {
        NAOS_ASSIGN_OR_RETURN(out.max_stack_bytes, parsed<uint64_t>(item.second, at, parse_size));
        if (*out.max_stack_bytes < 64 * 1024 || *out.max_stack_bytes > (64ull << 20)) {
          return error(item.second, at, "must be between 64KiB and 64MiB");
        }
      }
    }
    return out;
  }

  Result<CapabilitiesConfig> capabilities(const YAML::Node& node, const std::string& path) const {
    NAOS_TRY(check_keys(node, path, kCapabilityKeys));
    CapabilitiesConfig out;
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      if (key == "network") {
        NAOS_ASSIGN_OR_RETURN(std::string mode, scalar(item.second, at));
        if (mode == "none") out.network = sandbox::NetworkAccess::kNone;
        else if (mode == "restricted") out.network = sandbox::NetworkAccess::kRestricted;
        else if (mode == "open") out.network = sandbox::NetworkAccess::kOpen;
        else return error(item.second, at, "expected none, restricted or open, got \"" + mode + "\"");
      } else if (key == "allowedHosts") {
        NAOS_ASSIGN_OR_RETURN(out.allowed_hosts, strings(item.second, at));
        for (size_t i = 0; i < out.allowed_hosts.size(); ++i) {
          auto entry = capabilities::HttpPolicy::create(sandbox::NetworkAccess::kRestricted, {out.allowed_hosts[i]});
          if (!entry) return error(item.second[i], at + "[" + std::to_string(i) + "]", entry.error().message());
        }
      } else if (key == "filesystem") {
        NAOS_TRY(check_keys(item.second, at, kFilesystemKeys));
        for (const auto& fs : item.second) {
          std::string mode = fs.first.Scalar();
          NAOS_ASSIGN_OR_RETURN(auto folders, strings(fs.second, join(at, mode)));
          for (size_t i = 0; i < folders.size(); ++i) {
            std::filesystem::path folder(folders[i]);
            bool escapes = folder.is_absolute() || folder.empty();
            for (const auto& part : folder) escapes = escapes || part == "..";
            if (escapes) {
              return error(fs.second[i], join(at, mode) + "[" + std::to_string(i) + "]",
                           "must be a folder inside the project (relative, without ..)");
            }
          }
          (mode == "read" ? out.read : out.write) = std::move(folders);
        }
      } else if (key == "env") {
        NAOS_ASSIGN_OR_RETURN(out.env, strings(item.second, at));
      } else if (key == "kv") {
        NAOS_ASSIGN_OR_RETURN(out.kv, boolean(item.second, at));
      } else if (key == "llm") {
        NAOS_ASSIGN_OR_RETURN(out.llm, boolean(item.second, at));
      }
    }
    if (out.network == sandbox::NetworkAccess::kRestricted && out.allowed_hosts.empty()) {
      return error(node, path + ".network", "restricted network needs a non-empty allowedHosts list");
    }
    return out;
  }

  Result<AgentConfig> agent(const std::string& name, const YAML::Node& node, const std::string& path) const {
    AgentConfig out;
    out.name = name;
    if (node.IsNull()) return out;
    NAOS_TRY(check_keys(node, path, kAgentKeys));
    for (const auto& item : node) {
      std::string key = item.first.Scalar();
      std::string at = join(path, key);
      if (key == "template") {
        NAOS_ASSIGN_OR_RETURN(out.template_name, scalar(item.second, at));
      } else if (key == "source") {
        NAOS_ASSIGN_OR_RETURN(out.source, scalar(item.second, at));
      } else if (key == "execution") {
        NAOS_ASSIGN_OR_RETURN(out.execution, execution(item.second, at, false));
      } else if (key == "capabilities") {
        NAOS_ASSIGN_OR_RETURN(out.capabilities, capabilities(item.second, at));
      } else if (key == "tests") {
        if (!item.second.IsSequence()) return error(item.second, at, "expected a list of {input, expect}");
        for (size_t i = 0; i < item.second.size(); ++i) {
          std::string test_at = at + "[" + std::to_string(i) + "]";
          NAOS_TRY(check_keys(item.second[i], test_at, kTestKeys));
          AgentTest test;
          if (item.second[i]["input"]) {
            NAOS_ASSIGN_OR_RETURN(test.input, scalar(item.second[i]["input"], test_at + ".input"));
          }
          if (item.second[i]["expect"]) {
            NAOS_ASSIGN_OR_RETURN(test.expect, scalar(item.second[i]["expect"], test_at + ".expect"));
          }
          out.tests.push_back(std::move(test));
        }
      } else if (key == "metadata" || key == "description") {
        // Free-form; kept by the registry.
      }
    }
    return out;
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

 private:
  std::string label_;
};

bool valid_agent_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

}  // namespace

Result<Config> parse_config(const std::string& text, const std::string& label) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return Error(Code::kInvalidArgument, "malformed YAML: " + e.msg,
                 label + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1));
  }
  Reader reader(label);
  Config config;
  if (root.IsNull()) return config;
  NAOS_TRY(reader.check_keys(root, "", kTopLevelKeys));
  for (const auto& item : root) {
    std::string key = item.first.Scalar();
    if (key == "name") {
      NAOS_ASSIGN_OR_RETURN(config.name, reader.scalar(item.second, key));
    } else if (key == "execution") {
      NAOS_ASSIGN_OR_RETURN(config.execution, reader.execution(item.second, key, true));
    } else if (key == "agents") {
      if (item.second.IsNull()) continue;
      NAOS_TRY(reader.expect_map(item.second, key));
      std::set<std::string> seen;
      for (const auto& agent : item.second) {
        std::string name = agent.first.Scalar();
        if (!seen.insert(name).second) return reader.error(agent.first, "agents." + name, "duplicate agent");
        if (!valid_agent_name(name)) {
          return reader.error(agent.first, "agents." + name,
                              "an agent name is 1-64 letters, digits, '-' or '_', starting with a letter or digit");
        }
        NAOS_ASSIGN_OR_RETURN(config.agents[name], reader.agent(name, agent.second, "agents." + name));
      }
    }
  }
  return config;
}

Result<Config> load_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error(Code::kNotFound, "cannot read the config file", file.string());
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), file.string());
}

sandbox::Limits effective_limits(const Config& config, const AgentConfig* agent) {
  sandbox::Limits limits;
  auto apply = [&limits](const ExecutionConfig& e) {
    if (e.memory_bytes) limits.memory_bytes = *e.memory_bytes;
    if (e.timeout) limits.timeout = *e.timeout;
    if (e.fuel) limits.fuel = *e.fuel;
    if (e.max_output_bytes) limits.max_output_bytes = *e.max_output_bytes;
  };
  apply(config.execution);
  if (agent != nullptr) apply(agent->execution);
  return limits;
}

}  // namespace naos::project
