// Usage errors: a mistyped or missing command word, an unknown flag, a
// missing argument. CLI11 reports them with its own exit codes (104-109),
// which PRODUCT.md's 0/1/2 has no room for; naos reports each as one
// `error: ...` line, suggests the command the user probably meant, and
// exits 2 (docs/errors.md).

#include <iostream>

#include <nlohmann/json.hpp>

#include "base/words.h"
#include "cli/cli.h"

namespace naos::cli {
namespace {

std::vector<const CLI::App*> subcommands_of(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

const CLI::App* find_subcommand(const CLI::App& app, const std::string& word) {
  for (const CLI::App* sub : subcommands_of(app)) {
    if (sub->check_name(word)) return sub;
  }
  return nullptr;
}

bool has_positionals(const CLI::App& app) {
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_positional()) return true;
  }
  return false;
}

std::string path_of(const CLI::App& app) {
  std::string path = app.get_name();
  for (const CLI::App* parent = app.get_parent(); parent != nullptr; parent = parent->get_parent()) {
    path = parent->get_name() + " " + path;
  }
  return path;
}

struct CommandWalk {
  const CLI::App* deepest = nullptr;  // the last command word that named a command
  std::string unknown;                // a word where a command word had to be, naming none
  bool any_word_after = false;        // a plain word followed `deepest`
};

// Follows the command words in `args` down the tree, skipping flags and the
// values of options that take one.
CommandWalk walk(const CLI::App& app, const std::vector<std::string>& args) {
  CommandWalk result{&app, "", false};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") break;
    if (word.size() > 1 && word[0] == '-') {
      if (word.find('=') != std::string::npos) continue;
      // A value of its own: `--project DIR`, `--input TEXT`.
      for (const CLI::App* at = result.deepest; at != nullptr; at = at->get_parent()) {
        if (const CLI::Option* option = at->get_option_no_throw(word)) {
          if (option->get_items_expected_min() > 0) ++i;
          break;
        }
      }
      continue;
    }
    if (subcommands_of(*result.deepest).empty()) {
      result.any_word_after = true;
      break;
    }
    if (const CLI::App* sub = find_subcommand(*result.deepest, word)) {
      result.deepest = sub;
      continue;
    }
    result.any_word_after = true;
    // A command that takes its own words (`naos audit --last 5` has none,
    // `naos inspect RUN` is no group) reads this one as an argument.
    if (!has_positionals(*result.deepest)) result.unknown = word;
    break;
  }
  return result;
}

std::vector<std::string> names_of(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : subcommands_of(app)) names.push_back(sub->get_name());
  return names;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

}  // namespace

std::string usage_message(const CLI::App& app, const std::vector<std::string>& args, const CLI::ParseError& error) {
  CommandWalk at = walk(app, args);
  const CLI::App& command = *at.deepest;
  if (!at.unknown.empty()) {
    std::string message = "unknown command '" + at.unknown + "'";
    if (&command != &app) message += " for '" + path_of(command) + "'";
    std::string hint = did_you_mean(at.unknown, names_of(command));
    if (hint.empty()) hint = " (commands: " + join(names_of(command)) + ")";
    return message + hint;
  }
  if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr && !at.any_word_after &&
      !subcommands_of(command).empty() && command.get_require_subcommand_min() > 0) {
    return "'" + path_of(command) + "' needs a command: " + join(names_of(command));
  }
  // Anything else CLI11 found (a missing argument, an unknown flag): its
  // words, and where to read the command's usage.
  return std::string(error.what()) + " (see '" + path_of(command) + " --help')";
}

int report_usage_error(const CLI::App& app, const std::vector<std::string>& args, const CLI::ParseError& error) {
  Globals globals;
  for (const auto& word : args) globals.json = globals.json || word == "--json";
  return report_error(globals, Error(Code::kInvalidArgument, usage_message(app, args, error)));
}

}  // namespace naos::cli
