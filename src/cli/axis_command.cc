// `naos axis register AGENT`, `naos axis verify AGENT|--all`, `naos axis status AGENT`,
// `naos axis list`, `naos axis directory [--search Q] [--tier T]`,
// `naos axis cache [--clear]` — the AXIS trust score (governance/trust.h,
// docs/trust.md), computed locally from the audit log. What each does is
// core/axis.h (shared with /api/v1/trust); this file prints it.

#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/sha256.h"
#include "base/units.h"
#include "cli/cli.h"
#include "base/printable.h"
#include "core/axis.h"
#include "governance/trust.h"
#include "views/trust.h"

namespace naos::cli {
namespace {

namespace gov = governance;

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
  auto registered = axis::register_agent(**naos, name);
  if (!registered) {
    return registered.error().code() == Code::kNotFound ? report_agent_error(context.globals, registered.error())
                                                        : report_error(context.globals, registered.error());
  }
  if (context.globals.json) {
    std::cout << views::registration_json(*registered).dump(2) << "\n";
    return 0;
  }
  std::cout << "registered " << name << "\n"
            << "AUID:        " << registered->auid << "\n"
            << "Module:      " << registered->module_hash << "\n"
            << "Trust Tier:  " << gov::tier_name(registered->report.tier) << " (T-Score " << registered->report.t_score
            << ")\n";
  return 0;
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
  for (const auto& view : targets) {
    auto verified = axis::verify(**naos, view);
    if (!verified) return report_error(context.globals, verified.error());
    if (context.globals.json) {
      out.push_back(views::verification_json(*verified));
      continue;
    }
    std::cout << short_line(verified->report) << "  tests " << verified->passed << "/" << verified->total << "\n";
    for (const auto& failure : verified->failures) {
      std::cout << "  test " << failure["test"].get<size_t>() << ": " << printable(failure["reason"].get<std::string>())
                << "\n";
    }
  }
  // Failing tests lower the score; they are not an error of the command.
  if (context.globals.json) std::cout << dump_lossless(all ? out : out.at(0), 2) << "\n";
  return 0;
}

int do_status(Context& context, const std::string& name) {
  auto naos = open_naos(context, true);
  if (!naos) return report_error(context.globals, naos.error());
  auto standing = axis::standing(**naos, name);
  if (!standing) return report_agent_error(context.globals, standing.error());
  if (context.globals.json) {
    std::cout << views::standing_json(*standing).dump(2) << "\n";
    return 0;
  }
  print_report(standing->report);
  if (standing->refused) std::cout << "\nrefused to run: " << *standing->refused << "\n";
  for (const auto& capability : standing->gated_capabilities) {
    std::cout << "capability withheld by trust.capabilityTiers: " << capability << "\n";
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
    auto report = axis::refresh(**naos, view, false);
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
  auto entries = axis::directory(**naos, search, at_least);
  if (!entries) return report_error(context.globals, entries.error());
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows = {{"AUID", "AGENT", "TIER", "T-SCORE", "RATING", "DESCRIPTION"}};
  for (const auto& entry : *entries) {
    out.push_back(views::directory_entry_json(entry));
    rows.push_back({entry.auid, entry.agent, std::string(gov::tier_name(entry.report.tier)),
                    std::to_string(entry.report.t_score), std::string(gov::rating_name(entry.report.rating)),
                    entry.description});
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
    bool removed = std::filesystem::remove(axis::cache_file(**naos), ec);
    if (ec) return report_error(context.globals, Error(Code::kUnavailable, "cannot remove the cache: " + ec.message()));
    if (context.globals.json) {
      std::cout << nlohmann::json{{"cleared", removed}}.dump(2) << "\n";
    } else if (!context.globals.quiet) {
      std::cout << (removed ? "cleared the AXIS cache\n" : "the AXIS cache is empty\n");
    }
    return 0;
  }
  auto cache = axis::read_cache(**naos);
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
