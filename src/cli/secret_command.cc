// `naos secret set NAME` (value from stdin), `naos secret list`, `naos secret delete NAME`

#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"

namespace naos::cli {
namespace {

int set(Context& context, const std::string& name) {
  auto naos = open_naos(context, true);
  if (!naos) return report_error(context.globals, naos.error());
  std::stringstream all;
  all << std::cin.rdbuf();
  std::string value = all.str();
  // `echo KEY | naos secret set NAME` should not store the newline echo adds.
  if (!value.empty() && value.back() == '\n') value.pop_back();
  if (!value.empty() && value.back() == '\r') value.pop_back();
  if (value.empty()) return report_error(context.globals, Error(Code::kInvalidArgument, "the value on stdin is empty", name));
  auto status = (*naos)->secrets()->set(name, value, context.clock.now_ms());
  if (!status) return report_error(context.globals, status.error());
  auto recorded = (*naos)->record({"cli", "", "secret.set", {{"secret", name}}});
  if (!recorded) return report_error(context.globals, recorded.error());
  if (!context.globals.quiet) std::cout << "stored secret " << name << "\n";
  return 0;
}

int list(Context& context) {
  auto naos = open_naos(context, true);
  if (!naos) return report_error(context.globals, naos.error());
  auto secrets = (*naos)->secrets()->list();
  if (!secrets) return report_error(context.globals, secrets.error());
  if (context.globals.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : *secrets) {
      out.push_back({{"name", s.name}, {"created", format_utc_ms(s.created_ms)}, {"updated", format_utc_ms(s.updated_ms)}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "UPDATED"}};
  for (const auto& s : *secrets) rows.push_back({s.name, format_time(s.updated_ms)});
  std::cout << format_table(rows);
  return 0;
}

int remove(Context& context, const std::string& name) {
  auto naos = open_naos(context, true);
  if (!naos) return report_error(context.globals, naos.error());
  auto status = (*naos)->secrets()->remove(name);
  if (!status) return report_error(context.globals, status.error());
  auto recorded = (*naos)->record({"cli", "", "secret.deleted", {{"secret", name}}});
  if (!recorded) return report_error(context.globals, recorded.error());
  if (!context.globals.quiet) std::cout << "deleted secret " << name << "\n";
  return 0;
}

}  // namespace

void add_secret_command(CLI::App& app, Context& context, int& exit_status) {
  auto name = std::make_shared<std::string>();
  CLI::App* secret = app.add_subcommand("secret", "Store API keys for agents (values are never printed)");
  secret->require_subcommand(1);
  CLI::App* set_command = secret->add_subcommand("set", "Store a secret; the value is read from stdin");
  set_command->add_option("name", *name, "Secret name (letters, digits, _)")->required();
  set_command->callback([&, name] { exit_status = set(context, *name); });
  CLI::App* list_command = secret->add_subcommand("list", "List secret names");
  list_command->add_flag("--json", context.globals.json, "Print JSON");
  list_command->callback([&] { exit_status = list(context); });
  CLI::App* delete_command = secret->add_subcommand("delete", "Delete a secret");
  delete_command->add_option("name", *name, "Secret name")->required();
  delete_command->callback([&, name] { exit_status = remove(context, *name); });
}

}  // namespace naos::cli
