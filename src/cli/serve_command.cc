// `naos serve [--port N] [--bind ADDRESS] [--host NAME]... [--json]`, and
// `naos dashboard [...] [--open]`, the same server: the resident runtime of
// a project. It holds the project's daemon lock (cli/resident.h), resumes the
// runs a killed naos left unfinished, runs the scheduled agents on time, and
// serves the HTTP API (server/api_server.h, docs/api.md) until Ctrl-C or
// SIGTERM. The address comes from the flags, else `dashboard: {port, bind}`
// in the config (4200 on 127.0.0.1); the token for a non-loopback address
// from NEXUS_DASH_TOKEN. An edit of nexus.config.yaml is applied while it
// serves (or refused, when it does not load, and the config in force kept).

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/interrupt.h"
#include "base/file.h"
#include "cli/resident.h"
#include "server/api_server.h"

namespace naos::cli {
namespace {

struct ServeFlags {
  std::optional<uint16_t> port;
  std::string bind;
  std::vector<std::string> hosts;
  bool open = false;  // `naos dashboard --open`
};

// Opens `url` in the user's browser with xdg-open, without waiting for it
// and without its output; says where to go when there is none.
void open_in_browser(const Globals& globals, const std::string& url) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, STDIN_FILENO);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
    }
    ::execlp("xdg-open", "xdg-open", url.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  // xdg-open hands the URL to the browser and exits; a browser it starts
  // lives on by itself.
  bool opened = pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!opened) {
    print_line(globals, {{"open", url}, {"opened", false}},
               "naos dashboard: could not start a browser (xdg-open); open " + url, /*error=*/true);
  }
}

bool has_schedules(const Naos& naos) {
  for (const auto& [name, agent] : naos.project()->config().agents) {
    if (!agent.schedule.empty()) return true;
  }
  return false;
}

// nexus.config.yaml's bytes, to notice an edit; empty when it cannot be read.
std::string config_bytes(const project::Project& project) {
  auto text = read_file(project.config_file(), "config file");
  return text ? *text : std::string();
}

// A config edit seen while serving: applied (a Naos on the new config), or
// refused (the error) and the config in force kept.
void report_config_edit(const Globals& globals, const Naos* applied, const Naos& before, const Error* refused) {
  if (refused != nullptr) {
    print_line(globals, {{"config", "refused"}, {"error", refused->to_string()}},
               "naos serve: nexus.config.yaml changed but could not be loaded; the config in force is kept: " +
                   refused->to_string(),
               /*error=*/true);
    return;
  }
  print_line(globals, {{"config", "reloaded"}}, "naos serve: nexus.config.yaml changed: reloaded", false);
  const auto& was = before.project()->config().dashboard;
  const auto& now = applied->project()->config().dashboard;
  if (was.port != now.port || was.bind != now.bind) {
    print_line(globals, {{"config", "restart_needed"}, {"keys", "dashboard.port, dashboard.bind"}},
               "naos serve: dashboard.port and dashboard.bind take effect when naos serve restarts", true);
  }
}

int serve(Context& context, const ServeFlags& flags) {
  const Globals& globals = context.globals;
  auto opened = open_naos(context, true);
  if (!opened) return report_error(globals, opened.error());
  std::shared_ptr<Naos> naos = std::move(*opened);
  const auto& dashboard = naos->project()->config().dashboard;
  server::ServerOptions options;
  options.bind = flags.bind.empty() ? dashboard.bind : flags.bind;
  options.port = flags.port.value_or(dashboard.port);
  options.token = context.env("NEXUS_DASH_TOKEN").value_or("");
  options.host_names = flags.hosts;
  // Ctrl-C / SIGTERM end the server; the runs it started end stopped.
  const std::atomic<bool>& stop_requested = interrupt_flag();
  options.cancel = &stop_requested;

  auto lock = lock_daemon(*naos->project());
  if (!lock) return report_error(globals, lock.error());
  // Listed before the API takes requests: a run started over HTTP is not
  // one to resume (cli/resident.h).
  auto unfinished = unfinished_runs(*naos);
  if (!unfinished) return report_error(globals, unfinished.error());
  auto server = server::ApiServer::create(naos, options);
  if (!server) return report_error(globals, server.error());
  auto port = (*server)->bind();
  if (!port) return report_error(globals, port.error());
  const std::string url = (*server)->url();
  if (auto announced = announce_address(*lock, url); !announced) return report_error(globals, announced.error());

  Status served = ok();
  std::atomic<bool> http_ended{false};
  std::thread http([&] {
    served = (*server)->serve();
    http_ended = true;
  });
  if (globals.json) {
    std::cout << dump_lossless({{"listening", url}, {"pid", ::getpid()}}) << std::endl;
  } else if (!globals.quiet) {
    std::cout << "naos serve: " << url << "/api/v1 (Ctrl-C to stop)" << std::endl;
  }
  if (flags.open) open_in_browser(globals, url + "/");

  // Interrupted runs are resumed while the API already answers.
  Status resumed = ok();
  std::thread resumer([&, naos] {
    auto count = resume_and_report(globals, *naos, *unfinished, stop_requested);
    if (!count) resumed = count.error();
  });

  // One round per config in force. Each second nexus.config.yaml is read;
  // an edit that loads is a new Naos (its opening audits config.changed):
  // the scheduler restarts on it and the server serves the next requests
  // with it, while runs already started finish on the Naos they began with.
  // An edit that does not load is reported, and the config in force kept.
  std::string seen = config_bytes(*naos->project());
  Status schedules = ok();
  std::atomic<bool> schedules_ended{false};
  while (true) {
    std::atomic<bool> round_over{false};
    std::thread scheduler;
    if (has_schedules(*naos)) {
      scheduler = std::thread([&, naos] {
        schedules = serve_schedules_and_report(globals, *naos, round_over);
        if (!schedules) schedules_ended = true;
      });
    }
    std::shared_ptr<Naos> next;
    for (int tick = 1; !stop_requested && !http_ended && !schedules_ended; ++tick) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (tick % 10 != 0) continue;
      std::string now = config_bytes(*naos->project());
      if (now == seen) continue;
      seen = std::move(now);
      auto reopened = open_naos(context, true);
      if (!reopened) {
        report_config_edit(globals, nullptr, *naos, &reopened.error());
        continue;
      }
      next = std::move(*reopened);
      break;
    }
    round_over = true;
    if (scheduler.joinable()) scheduler.join();
    if (!next) break;
    (*server)->replace(next);
    report_config_edit(globals, next.get(), *naos, nullptr);
    naos = std::move(next);
  }
  resumer.join();
  (*server)->stop();
  http.join();
  for (const Status* status : {&served, &resumed, &schedules}) {
    if (!*status) return report_error(globals, status->error());
  }
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, Context& context, int& exit_status) {
  // `naos dashboard` is the documented name of the same server (PRODUCT.md),
  // with --open.
  for (bool dashboard : {false, true}) {
    auto flags = std::make_shared<ServeFlags>();
    CLI::App* command =
        dashboard ? app.add_subcommand("dashboard", "The same server as naos serve; --open opens it in a browser")
                  : app.add_subcommand("serve",
                                       "Serve the project's HTTP API, run scheduled agents and resume interrupted "
                                       "runs until Ctrl-C");
    command->add_option("--port", flags->port, "TCP port (default: dashboard.port, 4200; 0: any free port)");
    command->add_option("--bind", flags->bind,
                        "Address to listen on (default: dashboard.bind, 127.0.0.1; others need NEXUS_DASH_TOKEN)");
    command->add_option("--host", flags->hosts,
                        "A name clients reach the server by (its Host header), besides the bound address; repeatable");
    if (dashboard) command->add_flag("--open", flags->open, "Open the server's address in a browser (xdg-open)");
    command->add_flag("--json", context.globals.json, "Print the address and each resumed or scheduled run as JSON");
    command->callback([&context, &exit_status, flags] { exit_status = serve(context, *flags); });
  }
}

}  // namespace naos::cli
