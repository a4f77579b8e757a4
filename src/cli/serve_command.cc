// `naos serve [--port N] [--bind ADDRESS] [--host NAME]... [--json]`: the resident runtime of
// a project. It holds the project's daemon lock (cli/resident.h), resumes the
// runs a killed naos left unfinished, runs the scheduled agents on time, and
// serves the HTTP API (server/api_server.h, docs/api.md) until Ctrl-C or
// SIGTERM. The address comes from the flags, else `dashboard: {port, bind}`
// in the config (4200 on 127.0.0.1); the token for a non-loopback address
// from NEXUS_DASH_TOKEN.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/interrupt.h"
#include "cli/resident.h"
#include "server/api_server.h"

namespace naos::cli {
namespace {

struct ServeFlags {
  std::optional<uint16_t> port;
  std::string bind;
  std::vector<std::string> hosts;
};

int serve(Context& context, const ServeFlags& flags) {
  const Globals& globals = context.globals;
  auto naos = open_naos(context, true);
  if (!naos) return report_error(globals, naos.error());
  const auto& dashboard = (*naos)->project()->config().dashboard;
  server::ServerOptions options;
  options.bind = flags.bind.empty() ? dashboard.bind : flags.bind;
  options.port = flags.port.value_or(dashboard.port);
  options.token = context.env("NEXUS_DASH_TOKEN").value_or("");
  options.host_names = flags.hosts;
  // Ctrl-C / SIGTERM end the server; the runs it started end stopped.
  const std::atomic<bool>& stop_requested = interrupt_flag();
  options.cancel = &stop_requested;

  auto lock = lock_daemon(*(*naos)->project());
  if (!lock) return report_error(globals, lock.error());
  auto server = server::ApiServer::create(**naos, options);
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

  // Interrupted runs are resumed while the API already answers.
  Status resumed = ok();
  std::thread resumer([&] {
    auto count = resume_and_report(globals, **naos, stop_requested);
    if (!count) resumed = count.error();
  });
  bool scheduled = false;
  for (const auto& [name, agent] : (*naos)->project()->config().agents) scheduled = scheduled || !agent.schedule.empty();
  Status schedules = ok();
  if (scheduled) {
    schedules = serve_schedules_and_report(globals, **naos, stop_requested);
  } else {
    while (!stop_requested && !http_ended) std::this_thread::sleep_for(std::chrono::milliseconds(100));
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
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* command = app.add_subcommand(
      "serve", "Serve the project's HTTP API, run scheduled agents and resume interrupted runs until Ctrl-C");
  command->add_option("--port", flags->port, "TCP port (default: dashboard.port, 4200; 0: any free port)");
  command->add_option("--bind", flags->bind,
                      "Address to listen on (default: dashboard.bind, 127.0.0.1; others need NEXUS_DASH_TOKEN)");
  command->add_option("--host", flags->hosts,
                      "A name clients reach the server by (its Host header), besides the bound address; repeatable");
  command->add_flag("--json", context.globals.json, "Print the address and each resumed or scheduled run as JSON");
  command->callback([&context, &exit_status, flags] { exit_status = serve(context, *flags); });
}

}  // namespace naos::cli
