// `naos axis register AGENT`, `naos axis verify AGENT|--all`, `naos axis status AGENT`,
// `naos axis list`, `naos axis directory [--search Q] [--tier T]`,
// `naos axis cache [--clear]` — the AXIS trust score (governance/trust.h,
// docs/trust.md), computed locally from the audit log.
//
// The score is recomputed from the audit log every time it is shown; the cache
// (data/axis-cache.json) keeps the last report per agent for `axis cache` and
// for tools that want it without opening the database:
//     {"version": 1, "agents": {"<name>": <to_json(TrustReport)>, ...}}
// A trust.changed event is recorded whenever register, verify or status sees a
// tier other than the one the newest trust.changed recorded.

#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/sha256.h"
#include "base/units.h"
#include "cli/cli.h"
#include "governance/trust.h"

namespace naos::cli {
namespace {

namespace gov = governance;

constexpr const char* kActor = "axis";

std::filesystem::path cache_file(Naos& naos) { return naos.project()->data_dir() / "axis-cache.json"; }

nlohmann::json read_cache(Naos& naos) {
  std::ifstream in(cache_file(naos));
  nlohmann::json cache = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
  if (!cache.is_object() || !cache.contains("agents") || !cache["agents"].is_object()) {
    cache = {{"version", 1}, {"agents", nlohmann::json::object()}};
  }
  return cache;
}

Status write_cache(Naos& naos, const nlohmann::json& cache) {
  auto file = cache_file(naos);
  auto temporary = file;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << cache.dump(2) << "\n";
    if (!out) return Error(Code::kUnavailable, "cannot write " + temporary.string());
  }
  std::error_code ec;
  std::filesystem::rename(temporary, file, ec);
  if (ec) return Error(Code::kUnavailable, "cannot write " + file.string() + ": " + ec.message());
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

// Scores the agent, records trust.changed when the tier moved, and caches the report.
Result<gov::TrustReport> refresh(Naos& naos, const Naos::AgentView& view, bool record_change) {
  NAOS_ASSIGN_OR_RETURN(auto report, naos.trust_report(view.name, hash_of(module_of(naos, view))));
  NAOS_ASSIGN_OR_RETURN(auto events, gov::query_audit(*naos.database(), {.agent = view.name}));
  auto before = gov::recorded_tier(view.name, events);
  if (record_change && before != report.tier) {
    NAOS_TRY(naos.record({kActor, view.name, gov::event::kTrustChanged, gov::trust_changed_payload(before, report)}));
  }
  auto cache = read_cache(naos);
  cache["agents"][view.name] = gov::to_json(report);
  NAOS_TRY(write_cache(naos, cache));
  return report;
}

std::string auid_of(const std::string& name, const std::string& hash) {
  return "axis://agent/" + name + "/" + hash.substr(0, 8);
}

void print_report(const gov::TrustReport& report) {
  std::vector<std::vector<std::string>> head = {
      {"Agent:", report.agent},
      {"Trust Tier:", std::string(gov::tier_name(report.tier))},
      {"T-Score:", std::to_string(report.t_score) + "/100"},
      {"Credit Rating:", std::string(gov::rating_name(report.rating)) + " (reliability " +
                             std::to_string(report.reliability_permille / 10) + "." +
                             std::to_string(report.reliability_permille % 10) + "% over " +
                             std::to_string(report.transactions) + " transactions, 30 days)"},
      {"Verified:", report.verified_ms ? format_time(*report.verified_ms) : "never"},
  };
  // format_table treats the first row as a header; these rows have none.
  for (const auto& row : head) std::cout << row[0] << std::string(16 - row[0].size(), ' ') << row[1] << "\n";
  std::vector<std::vector<std::string>> rows = {{"CRITERION", "POINTS", "DETAIL"}};
  for (const auto& c : report.criteria) {
    rows.push_back({c.name, std::to_string(c.points) + "/" + std::to_string(c.max), c.detail});
  }
  std::cout << "\n" << format_table(rows);
}

std::string short_line(const gov::TrustReport& report) {
  return report.agent + " " + std::string(gov::tier_name(report.tier)) + " (" + std::to_string(report.t_score) + ")";
}

int do_register(Context& context, const std::string& name) {
  auto naos = open_naos(context, true);
  if (!naos) return report_error(context.globals, naos.error());
  auto view = (*naos)->agent(name);
  if (!view) return report_agent_error(context.globals, view.error());
  std::string hash = hash_of(module_of(**naos, *view));
  if (hash.empty()) {
    return report_error(context.globals, Error(Code::kFailedPrecondition,
                                               "the agent has no module to register (naos build " + name + ")", name));
  }
  std::string auid = auid_of(name, hash);
  auto recorded = (*naos)->record({kActor, name, gov::event::kAxisRegistered, {{"module_hash", hash}, {"auid", auid}}});
  if (!recorded) return report_error(context.globals, recorded.error());
  auto report = refresh(**naos, *view, true);
  if (!report) return report_error(context.globals, report.error());
  if (context.globals.json) {
    std::cout << nlohmann::json{{"agent", name}, {"auid", auid}, {"module_hash", hash}, {"trust", gov::to_json(*report)}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << "registered " << name << "\n"
            << "AUID:        " << auid << "\n"
            << "Module:      " << hash << "\n"
            << "Trust Tier:  " << gov::tier_name(report->tier) << " (T-Score " << report->t_score << ")\n";
  return 0;
}

// Trims one trailing newline, as `expect:` block scalars and echoing agents add one.
std::string trimmed(std::string text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

struct Verification {
  int passed = 0;
  int total = 0;
  nlohmann::json failures = nlohmann::json::array();
  gov::TrustReport report;
};

Result<Verification> verify_one(Naos& naos, const Naos::AgentView& view) {
  Verification out;
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
      if (run && run->outcome.ok()) failure["output"] = run->outcome.output, failure["expect"] = tests[i].expect;
      out.failures.push_back(std::move(failure));
    }
  }
  NAOS_TRY(naos.record({kActor, view.name, gov::event::kAxisVerified,
                        {{"passed", out.passed}, {"total", out.total}, {"module_hash", tested_hash},
                         {"failures", out.failures}}}));
  NAOS_ASSIGN_OR_RETURN(out.report, refresh(naos, view, true));
  return out;
}

int do_verify(Context& context, const std::string& name, bool all) {
  if (all == !name.empty()) {
    return report_error(context.globals, Error(Code::kInvalidArgument, "name an agent, or use --all"));
  }
  auto naos = open_naos(context, true);
  if (!naos) return report_error(context.globals, naos.error());
  std::vector<Naos::AgentView> targets;
  if (all) {
    auto agents = (*naos)->agents();
    if (!agents) return report_error(context.globals, agents.error());
    for (auto& view : *agents) {
      if (view.config != nullptr) targets.push_back(std::move(view));
    }
  } else {
    auto view = (*naos)->agent(name);
    if (!view) return report_agent_error(context.globals, view.error());
    targets.push_back(std::move(*view));
  }
  nlohmann::json out = nlohmann::json::array();
  bool all_passed = true;
  for (const auto& view : targets) {
    auto verified = verify_one(**naos, view);
    if (!verified) return report_error(context.globals, verified.error());
    all_passed = all_passed && verified->passed == verified->total;
    if (context.globals.json) {
      out.push_back({{"agent", view.name},
                     {"passed", verified->passed},
                     {"total", verified->total},
                     {"failures", verified->failures},
                     {"trust", gov::to_json(verified->report)}});
      continue;
    }
    std::cout << short_line(verified->report) << "  tests " << verified->passed << "/" << verified->total << "\n";
    for (const auto& failure : verified->failures) {
      std::cout << "  test " << failure["test"].get<size_t>() << ": " << failure["reason"].get<std::string>() << "\n";
    }
  }
  if (context.globals.json) std::cout << (all ? out : out.at(0)).dump(2) << "\n";
  // Failing tests lower the score; they are not an error of the command.
  (void)all_passed;
  return 0;
}

int do_status(Context& context, const std::string& name) {
  auto naos = open_naos(context, true);
  if (!naos) return report_error(context.globals, naos.error());
  auto view = (*naos)->agent(name);
  if (!view) return report_agent_error(context.globals, view.error());
  auto report = refresh(**naos, *view, true);
  if (!report) return report_error(context.globals, report.error());
  auto json = gov::to_json(*report);
  // The gates this project's config would apply at this score.
  auto run_gate = gov::check_run_gate((*naos)->trust_policy(), *report);
  json["may_run"] = run_gate.has_value();
  json["gated_capabilities"] = (*naos)->trust_gated(name, *report);
  if (context.globals.json) {
    std::cout << json.dump(2) << "\n";
    return 0;
  }
  print_report(*report);
  if (!run_gate) std::cout << "\nrefused to run: " << run_gate.error().message() << "\n";
  for (const auto& capability : json["gated_capabilities"]) {
    std::cout << "capability withheld by trust.capabilityTiers: " << capability.get<std::string>() << "\n";
  }
  return 0;
}

int do_list(Context& context) {
  auto naos = open_naos(context, true);
  if (!naos) return report_error(context.globals, naos.error());
  auto agents = (*naos)->agents();
  if (!agents) return report_error(context.globals, agents.error());
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows = {{"AGENT", "TIER", "T-SCORE", "RATING", "VERIFIED"}};
  for (const auto& view : *agents) {
    auto report = refresh(**naos, view, false);
    if (!report) return report_error(context.globals, report.error());
    out.push_back(gov::to_json(*report));
    rows.push_back({view.name, std::string(gov::tier_name(report->tier)), std::to_string(report->t_score),
                    std::string(gov::rating_name(report->rating)),
                    report->verified_ms ? format_time(*report->verified_ms) : "never"});
  }
  if (context.globals.json) {
    std::cout << out.dump(2) << "\n";
  } else if (out.empty()) {
    std::cout << "no agents yet\n";
  } else {
    std::cout << format_table(rows);
  }
  return 0;
}

// The project's AXIS directory: the agents registered with `axis register`,
// by AUID, with their standing. --search matches the name, template or
// description (any case); --tier T keeps agents at tier T or better.
int do_directory(Context& context, const std::string& search, const std::string& tier) {
  std::optional<gov::Tier> at_least;
  if (!tier.empty()) {
    at_least = gov::parse_tier(tier);
    if (!at_least) {
      return report_error(context.globals, Error(Code::kInvalidArgument, "--tier is one of T1 (best) to T5", tier));
    }
  }
  auto naos = open_naos(context, true);
  if (!naos) return report_error(context.globals, naos.error());
  auto agents = (*naos)->agents();
  if (!agents) return report_error(context.globals, agents.error());
  const std::string wanted = ascii_lowercase(search);
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows = {{"AUID", "AGENT", "TIER", "T-SCORE", "RATING", "DESCRIPTION"}};
  for (const auto& view : *agents) {
    auto registered = gov::query_audit(*(*naos)->database(), {.agent = view.name, .action = gov::event::kAxisRegistered});
    if (!registered) return report_error(context.globals, registered.error());
    if (registered->empty()) continue;  // not in the directory until registered
    std::string description = view.config != nullptr ? view.config->description : "";
    std::string template_name = view.config != nullptr ? view.config->template_name
                                : view.record             ? view.record->template_name
                                                          : "";
    if (!wanted.empty() && ascii_lowercase(view.name + "\n" + template_name + "\n" + description).find(wanted) ==
                               std::string::npos) {
      continue;
    }
    auto report = refresh(**naos, view, false);
    if (!report) return report_error(context.globals, report.error());
    if (at_least && report->tier > *at_least) continue;
    auto payload = nlohmann::json::parse(registered->back().payload, nullptr, false);
    std::string hash = payload.is_object() ? payload.value("module_hash", "") : "";
    std::string auid = payload.is_object() ? payload.value("auid", auid_of(view.name, hash)) : auid_of(view.name, hash);
    out.push_back({{"auid", auid},
                   {"agent", view.name},
                   {"template", template_name},
                   {"description", description},
                   {"module_hash", hash},
                   {"registered", format_utc_ms(registered->back().ts_ms)},
                   {"tier", std::string(gov::tier_name(report->tier))},
                   {"t_score", report->t_score},
                   {"rating", std::string(gov::rating_name(report->rating))}});
    rows.push_back({auid, view.name, std::string(gov::tier_name(report->tier)), std::to_string(report->t_score),
                    std::string(gov::rating_name(report->rating)), description});
  }
  if (context.globals.json) {
    std::cout << out.dump(2) << "\n";
  } else if (out.empty()) {
    std::cout << (search.empty() && tier.empty() ? "no agents registered yet (naos axis register AGENT)\n"
                                                  : "no registered agent matches\n");
  } else {
    std::cout << format_table(rows);
  }
  return 0;
}

int do_cache(Context& context, bool clear) {
  auto naos = open_naos(context, true);
  if (!naos) return report_error(context.globals, naos.error());
  if (clear) {
    std::error_code ec;
    bool removed = std::filesystem::remove(cache_file(**naos), ec);
    if (ec) return report_error(context.globals, Error(Code::kUnavailable, "cannot remove the cache: " + ec.message()));
    if (context.globals.json) {
      std::cout << nlohmann::json{{"cleared", removed}}.dump(2) << "\n";
    } else if (!context.globals.quiet) {
      std::cout << (removed ? "cleared the AXIS cache\n" : "the AXIS cache is empty\n");
    }
    return 0;
  }
  auto cache = read_cache(**naos);
  if (context.globals.json) {
    std::cout << cache.dump(2) << "\n";
    return 0;
  }
  if (cache["agents"].empty()) {
    std::cout << "the AXIS cache is empty\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"AGENT", "TIER", "T-SCORE", "RATING", "COMPUTED"}};
  for (const auto& [agent, report] : cache["agents"].items()) {
    rows.push_back({agent, report.value("tier", "?"), std::to_string(report.value("t_score", 0)),
                    report.value("rating", "?"), report.value("computed", "")});
  }
  std::cout << format_table(rows);
  return 0;
}

}  // namespace

void add_axis_command(CLI::App& app, Context& context, int& exit_status) {
  auto name = std::make_shared<std::string>();
  auto all = std::make_shared<bool>(false);
  auto clear = std::make_shared<bool>(false);
  CLI::App* axis = app.add_subcommand("axis", "AXIS trust: T-Score, Trust Tier and Credit Rating of agents");
  axis->require_subcommand(1);

  CLI::App* register_command = axis->add_subcommand("register", "Register the agent's current module hash");
  register_command->add_option("agent", *name, "Agent name")->required();
  register_command->add_flag("--json", context.globals.json, "Print JSON");
  register_command->callback([&, name] { exit_status = do_register(context, *name); });

  CLI::App* verify_command = axis->add_subcommand("verify", "Run the agent's declared tests and rescore it");
  verify_command->add_option("agent", *name, "Agent name");
  verify_command->add_flag("--all", *all, "Every agent in the config");
  verify_command->add_flag("--json", context.globals.json, "Print JSON");
  verify_command->callback([&, name, all] { exit_status = do_verify(context, *name, *all); });

  CLI::App* status_command = axis->add_subcommand("status", "Show the agent's score and the factors behind it");
  status_command->add_option("agent", *name, "Agent name")->required();
  status_command->add_flag("--json", context.globals.json, "Print JSON");
  status_command->callback([&, name] { exit_status = do_status(context, *name); });

  CLI::App* list_command = axis->add_subcommand("list", "Every agent's tier, score and rating");
  list_command->add_flag("--json", context.globals.json, "Print JSON");
  list_command->callback([&] { exit_status = do_list(context); });

  auto search = std::make_shared<std::string>();
  auto tier = std::make_shared<std::string>();
  CLI::App* directory_command =
      axis->add_subcommand("directory", "The registered agents by AUID, with their tier, score and rating");
  directory_command->add_option("--search", *search, "Only agents whose name, template or description contain Q");
  directory_command->add_option("--tier", *tier, "Only agents at this Trust Tier or better (T1..T5)");
  directory_command->add_flag("--json", context.globals.json, "Print JSON");
  directory_command->callback([&, search, tier] { exit_status = do_directory(context, *search, *tier); });

  CLI::App* cache_command = axis->add_subcommand("cache", "Show (or --clear) data/axis-cache.json");
  cache_command->add_flag("--clear", *clear, "Delete the cache");
  cache_command->add_flag("--json", context.globals.json, "Print JSON");
  cache_command->callback([&, clear] { exit_status = do_cache(context, *clear); });
}

}  // namespace naos::cli
