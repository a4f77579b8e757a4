// ApiServer — a project's HTTP API (`naos serve`, docs/api.md): JSON over
// HTTP/1.1 under /api/v1, the same objects `--json` prints (views/).
//
// Long work is asynchronous: starting a workflow or saga returns 202 with the
// run id once the run is in the journal (durable), and the run goes on in a
// thread of its own; the client polls GET /api/v1/runs/ID or follows
// GET /api/v1/events, which streams every audit event as it is written
// (Server-Sent Events, `id:` = the event's seq, so a client that reconnects
// with Last-Event-ID misses nothing and sees nothing twice).
//
// Security (deny by default): a server bound to anything but loopback
// refuses to start without a token; with a token every request needs
// `Authorization: Bearer TOKEN` (compared in constant time, never logged or
// echoed). A request whose Host is not the bound address (or localhost, or a
// configured name) is refused: a page on another site cannot reach the API
// through DNS rebinding. A state-changing request that carries an Origin
// other than the server's own is refused (cross-site request forgery). No
// CORS headers are sent, so browsers keep other origins out. Bodies are
// capped, and slow clients time out.
//
// Ownership: shares the Naos with its caller and with the runs it started
// (a Naos replaced after a config change lives until its last run ends);
// owns its HTTP server, its own connection for reads, and the threads of
// the runs it started. Threading: serve() blocks in the calling thread; stop() may be
// called from any thread; requests are handled on a pool of threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "core/naos.h"

namespace naos::server {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  uint16_t port = 4200;  // 0: any free port (tests)
  // Required off loopback; empty on loopback means no token is asked for.
  std::string token;
  // Host names accepted besides the bound address and localhost.
  std::vector<std::string> host_names;
  uint64_t max_body_bytes = 16ull << 20;
  // Requests handled at once; each Server-Sent Events client holds one.
  int threads = 128;
  // Stops the runs started over HTTP (they end stopped, resumable); must
  // outlive the server. Null: they run to their end.
  const std::atomic<bool>* cancel = nullptr;
};

// Whether `address` is a loopback address (127.0.0.0/8, ::1, "localhost").
bool is_loopback(const std::string& address);

class ApiServer {
 public:
  // Errors: kInvalidArgument (a non-loopback bind without a token).
  static Result<std::unique_ptr<ApiServer>> create(std::shared_ptr<Naos> naos, ServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds the listening socket; the port bound.
  // Errors: kUnavailable (the address is in use or cannot be bound).
  Result<uint16_t> bind();
  // Serves until stop(). Then waits for the runs it started to end; they
  // see `cancel` (the process's Ctrl-C flag) and end stopped, to be resumed
  // by the next start.
  Status serve();
  void stop();

  // Serves the requests that arrive from now on with `naos` (a project
  // whose config changed, opened anew). Requests being served, and the runs
  // they started, go on with the Naos they began with.
  void replace(std::shared_ptr<Naos> naos);

  // "http://ADDRESS:PORT" once bound.
  std::string url() const;

  // Every route, as (method, OpenAPI path template): "GET", "/api/v1/runs/{id}".
  std::vector<std::pair<std::string, std::string>> routes() const;

  struct Impl;

 private:
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace naos::server
