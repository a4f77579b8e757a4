#include "core/axis.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>

#include "base/bytes_json.h"
#include "base/file.h"
#include "base/sha256.h"
#include "base/units.h"

namespace naos::axis {
namespace {

namespace gov = governance;

// One read-modify-write of the cache at a time in this process.
std::mutex cache_mutex;

Status write_cache(Naos& naos, const nlohmann::json& cache) {
  auto file = cache_file(naos);
  // A name of its own, so that two processes writing at once each write a
  // whole file, and the rename decides which one stays.
  static std::atomic<uint64_t> sequence{0};
  auto temporary = file;
  temporary += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(sequence++);
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << cache.dump(2) << "\n";
    if (!out) return Error(Code::kUnavailable, "cannot write " + temporary.string());
  }
  std::error_code ec;
  std::filesystem::rename(temporary, file, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    return Error(Code::kUnavailable, "cannot write " + file.string());
  }
  return ok();
}

// The agent's module file: its config's (source: or agents/NAME/NAME.wasm),
// else the registry's `source`.
std::optional<std::filesystem::path> module_of(Naos& naos, const Naos::AgentView& view) {
  if (view.config != nullptr) return naos.project()->module_file(*view.config);
  if (view.record && !view.record->source.empty()) return naos.project()->root() / view.record->source;
  return std::nullopt;
}

std::string hash_of(const std::optional<std::filesystem::path>& file) {
  if (!file) return "";
  auto bytes = read_file(*file, "module file");
  return bytes ? sha256_hex(*bytes) : "";
}

std::string auid_of(const std::string& name, const std::string& hash) {
  return "axis://agent/" + name + "/" + hash.substr(0, 8);
}

// Trims one trailing newline, as `expect:` block scalars and echoing agents add one.
std::string trimmed(std::string text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

}  // namespace

std::filesystem::path cache_file(Naos& naos) { return naos.project()->data_dir() / "axis-cache.json"; }

nlohmann::json read_cache(Naos& naos) {
  std::ifstream in(cache_file(naos));
  nlohmann::json cache = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
  if (!cache.is_object() || !cache.contains("agents") || !cache["agents"].is_object()) {
    cache = {{"version", 1}, {"agents", nlohmann::json::object()}};
  }
  return cache;
}

Result<gov::TrustReport> refresh(Naos& naos, const Naos::AgentView& view, bool record_change) {
  NAOS_ASSIGN_OR_RETURN(auto report, naos.trust_report(view.name, hash_of(module_of(naos, view))));
  NAOS_ASSIGN_OR_RETURN(auto events, gov::query_audit(*naos.database(), {.agent = view.name}));
  auto before = gov::recorded_tier(view.name, events);
  if (record_change && before != report.tier) {
    NAOS_TRY(naos.record({kActor, view.name, gov::event::kTrustChanged, gov::trust_changed_payload(before, report)}));
  }
  std::lock_guard lock(cache_mutex);
  auto cache = read_cache(naos);
  cache["agents"][view.name] = gov::to_json(report);
  NAOS_TRY(write_cache(naos, cache));
  return report;
}

Result<Registration> register_agent(Naos& naos, const std::string& name) {
  NAOS_ASSIGN_OR_RETURN(auto view, naos.agent(name));
  std::string hash = hash_of(module_of(naos, view));
  if (hash.empty()) {
    return Error(Code::kFailedPrecondition, "the agent has no module to register (naos build " + name + ")", name);
  }
  Registration out{name, auid_of(name, hash), hash, {}};
  NAOS_TRY(naos.record({kActor, name, gov::event::kAxisRegistered, {{"module_hash", hash}, {"auid", out.auid}}}));
  NAOS_ASSIGN_OR_RETURN(out.report, refresh(naos, view, true));
  return out;
}

Result<Verification> verify(Naos& naos, const Naos::AgentView& view) {
  Verification out;
  out.agent = view.name;
  std::string tested_hash = hash_of(module_of(naos, view));
  const auto& tests = view.config != nullptr ? view.config->tests : std::vector<project::AgentTest>{};
  out.total = static_cast<int>(tests.size());
  for (size_t i = 0; i < tests.size(); ++i) {
    RunOptions options;
    options.input = tests[i].input;
    options.actor = kActor;
    auto run = naos.run(view.name, options);
    std::string why;
    if (!run) {
      why = run.error().to_string();
    } else {
      tested_hash = run->module_hash;
      if (!run->outcome.ok()) {
        why = std::string(sandbox::failure_name(run->outcome.failure)) + ": " + run->outcome.message;
      } else if (trimmed(run->outcome.output) != trimmed(tests[i].expect)) {
        why = "output differs from expect";
      }
    }
    if (why.empty()) {
      ++out.passed;
    } else {
      nlohmann::json failure = {{"test", i + 1}, {"reason", why}};
      // The output is the agent's bytes: text only when it is UTF-8.
      if (run && run->outcome.ok()) failure["output"] = bytes_json(run->outcome.output), failure["expect"] = tests[i].expect;
      out.failures.push_back(std::move(failure));
    }
  }
  NAOS_TRY(naos.record({kActor, view.name, gov::event::kAxisVerified,
                        {{"passed", out.passed}, {"total", out.total}, {"module_hash", tested_hash},
                         {"failures", out.failures}}}));
  NAOS_ASSIGN_OR_RETURN(out.report, refresh(naos, view, true));
  return out;
}

Result<Standing> standing(Naos& naos, const std::string& name) {
  NAOS_ASSIGN_OR_RETURN(auto view, naos.agent(name));
  Standing out;
  NAOS_ASSIGN_OR_RETURN(out.report, refresh(naos, view, true));
  if (auto gate = gov::check_run_gate(naos.trust_policy(), out.report); !gate) out.refused = gate.error().message();
  out.gated_capabilities = naos.trust_gated(name, out.report);
  return out;
}

Result<std::vector<DirectoryEntry>> directory(Naos& naos, const std::string& search,
                                              std::optional<gov::Tier> at_least) {
  NAOS_ASSIGN_OR_RETURN(auto agents, naos.agents());
  const std::string wanted = ascii_lowercase(search);
  std::vector<DirectoryEntry> out;
  for (const auto& view : agents) {
    NAOS_ASSIGN_OR_RETURN(auto registered,
                          gov::query_audit(*naos.database(), {.agent = view.name, .action = gov::event::kAxisRegistered}));
    if (registered.empty()) continue;  // not in the directory until registered
    DirectoryEntry entry;
    entry.agent = view.name;
    entry.description = view.config != nullptr ? view.config->description : "";
    entry.template_name = view.config != nullptr ? view.config->template_name
                          : view.record          ? view.record->template_name
                                                 : "";
    if (!wanted.empty() &&
        ascii_lowercase(view.name + "\n" + entry.template_name + "\n" + entry.description).find(wanted) ==
            std::string::npos) {
      continue;
    }
    NAOS_ASSIGN_OR_RETURN(entry.report, refresh(naos, view, false));
    if (at_least && entry.report.tier > *at_least) continue;
    auto payload = nlohmann::json::parse(registered.back().payload, nullptr, false);
    entry.module_hash = payload.is_object() ? payload.value("module_hash", "") : "";
    entry.auid = payload.is_object() ? payload.value("auid", auid_of(view.name, entry.module_hash))
                                     : auid_of(view.name, entry.module_hash);
    entry.registered_ms = registered.back().ts_ms;
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace naos::axis
