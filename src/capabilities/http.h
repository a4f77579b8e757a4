// The http capability: outbound GET/POST for agents, deny by default.
//
// HttpPolicy decides whether one URL may be fetched: the scheme is http or
// https, the host and port match an allow-list entry (docs/abi.md "HTTP"),
// and every address the host resolves to is public — unless the matching entry
// is that IP literal itself. HttpClient performs a request that the policy
// allowed, pinned to the checked addresses (no DNS rebinding between check and
// connect), follows redirects itself (re-checking each), ignores the host's
// proxy settings, and never outlives the run's deadline.
//
// HttpClient::post_to_service is the other road out: a request naos itself
// makes to a service the operator configured (an LLM provider), never to a
// URL an agent chose. See its comment for what differs.
//
// Threading: HttpPolicy is immutable; HttpClient::fetch and post_to_service
// may be called from many threads at once (one curl handle per call).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "sandbox/agent_calls.h"
#include "sandbox/grants.h"

namespace naos::capabilities {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // lowercase; an IPv6 literal without brackets
  uint16_t port = 0;   // explicit, or the scheme's default
  bool host_is_ip = false;
};

// Errors: kInvalidArgument for anything that is not an absolute http(s) URL.
Result<Url> parse_url(std::string_view text);

// True for addresses an agent reaches only when an entry names them:
// loopback, private (RFC 1918, fc00::/7), link-local, CGNAT, unspecified,
// multicast, broadcast, and IPv4-mapped forms of those.
bool is_internal_address(std::string_view ip);

class HttpPolicy {
 public:
  // Errors: kInvalidArgument naming the malformed entry.
  static Result<HttpPolicy> create(sandbox::NetworkAccess access, const std::vector<std::string>& allowed_hosts);

  // The checked addresses to connect to for `url`, or kPermissionDenied saying why not.
  Result<std::vector<std::string>> check(const Url& url) const;
  // Whether an entry names this URL's scheme, host and port (no resolution).
  bool matches(const Url& url) const { return match(url) != nullptr; }

 private:
  struct Entry {
    std::string scheme;  // empty: http and https
    std::string host;    // "example.com", or ".example.com" for "*.example.com"
    std::optional<uint16_t> port;
    bool wildcard = false;
    bool is_ip = false;
  };
  const Entry* match(const Url& url) const;

  sandbox::NetworkAccess access_ = sandbox::NetworkAccess::kNone;
  std::vector<Entry> entries_;
};

class HttpClient {
 public:
  static constexpr size_t kMaxResponseBytes = 8 * 1024 * 1024;
  static constexpr int kMaxRedirects = 5;

  HttpClient();

  Result<sandbox::HttpResponse> fetch(const sandbox::HttpRequest& request, const HttpPolicy& policy,
                                      std::chrono::steady_clock::time_point deadline) const;

  // A POST to a service the operator configured (`llm.providers.*.baseUrl`).
  // The operator chose the URL, so there is no allow-list and no check of
  // the address (a model server on 127.0.0.1 is a valid provider); still,
  // redirects are not followed (a 3xx is returned as it is), the host's proxy
  // variables are ignored, the response is capped at kMaxResponseBytes, and
  // the call ends by `deadline` and within about a second of `*cancel`
  // (nullable) becoming true. Headers may hold credentials: they never appear in an
  // error. Errors: kDeadlineExceeded (timeout), kAborted (cancelled),
  // kUnavailable (connect, DNS, TLS), kResourceExhausted (response too large),
  // kInvalidArgument (not an http(s) URL).
  struct ServiceRequest {
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
  };
  Result<sandbox::HttpResponse> post_to_service(const ServiceRequest& request,
                                                std::chrono::steady_clock::time_point deadline,
                                                const std::atomic<bool>* cancel) const;
};

}  // namespace naos::capabilities
