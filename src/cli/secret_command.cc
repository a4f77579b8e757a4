// `naos secret set NAME` (typed at a prompt without echo on a terminal, else
// read from stdin), `naos secret list`, `naos secret delete NAME`

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/interrupt.h"

namespace naos::cli {
namespace {

// Turns the terminal's echo off while alive, so a typed secret is not shown.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;  // the Enter still moves to a new line
    active_ = ::tcsetattr(fd_, TCSANOW, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

// One line typed at the terminal, not echoed; nullopt on Ctrl-C or the end of input.
std::optional<std::string> prompt_hidden(const std::string& name) {
  // Echo off before the prompt shows: what is typed after it is never shown.
  EchoOff quiet(STDIN_FILENO);
  std::cerr << "Value for secret " << name << " (not shown): " << std::flush;
  std::string line;
  while (true) {
    // Polled, so Ctrl-C (which only sets the interrupt flag) ends the prompt
    // and the terminal gets its echo back.
    pollfd in{STDIN_FILENO, POLLIN, 0};
    if (interrupted()) return std::nullopt;
    int ready = ::poll(&in, 1, 100);
    if (ready < 0 && errno != EINTR) return std::nullopt;
    if (ready <= 0) continue;
    char ch = 0;
    ssize_t got = ::read(STDIN_FILENO, &ch, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return line.empty() ? std::nullopt : std::optional(line);
    if (ch == '\n' || ch == '\r') return line;
    line += ch;
  }
}

int set(Context& context, const std::string& name) {
  auto naos = open_naos(context, true);
  if (!naos) return report_error(context.globals, naos.error());
  std::string value;
  if (::isatty(STDIN_FILENO) == 1) {
    auto typed = prompt_hidden(name);
    if (!typed) {
      if (interrupted()) return interrupt_exit_status();
      return report_error(context.globals, Error(Code::kInvalidArgument, "no value was typed", name));
    }
    value = std::move(*typed);
  } else {
    std::stringstream all;
    all << std::cin.rdbuf();
    value = all.str();
  }
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
  CLI::App* set_command = secret->add_subcommand("set", "Store a secret: typed at a hidden prompt, or read from stdin");
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
