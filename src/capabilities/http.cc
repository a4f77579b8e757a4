#include "capabilities/http.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>

#include <algorithm>
#include <cstring>
#include <memory>


#include "base/units.h"

namespace naos::capabilities {
namespace {

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

std::optional<std::string> url_part(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, flags) != CURLUE_OK) return std::nullopt;
  std::string text(value);
  curl_free(value);
  return text;
}

bool parse_ip(std::string_view text, in6_addr& v6, in_addr& v4, bool& is_v4) {
  std::string ip(text);
  if (inet_pton(AF_INET, ip.c_str(), &v4) == 1) return is_v4 = true;
  is_v4 = false;
  return inet_pton(AF_INET6, ip.c_str(), &v6) == 1;
}

bool internal_v4(uint32_t a) {  // host byte order
  auto in = [a](uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
  return in(0x00000000, 8) ||   // 0.0.0.0/8 "this network"
         in(0x0A000000, 8) ||   // 10/8
         in(0x64400000, 10) ||  // 100.64/10 CGNAT
         in(0x7F000000, 8) ||   // loopback
         in(0xA9FE0000, 16) ||  // link-local (cloud metadata lives here)
         in(0xAC100000, 12) ||  // 172.16/12
         in(0xC0000000, 24) ||  // 192.0.0/24 IETF
         in(0xC0A80000, 16) ||  // 192.168/16
         in(0xC6120000, 15) ||  // 198.18/15 benchmarking
         in(0xE0000000, 4) ||   // multicast
         in(0xF0000000, 4);     // reserved and broadcast
}

}  // namespace

namespace {

// A header value with CR, LF or NUL would end its header early and start
// another (header injection): such a value is refused whole, never cleaned.
// The error names the header, never the value (it may be a credential).
Status check_header(std::string_view name, std::string_view value) {
  if (value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos) return ok();
  return Error(Code::kInvalidArgument, "a header value may not hold CR, LF or NUL", std::string(name));
}

// parse_url, and the URL to send: as parsed, with the host parse_url judged
// (no trailing dot). curl is given this, so it connects to the host that was
// checked and never looks up a name the checks did not see.
Result<std::pair<Url, std::string>> parse_url_to_send(std::string_view text) {
  std::unique_ptr<CURLU, UrlDeleter> handle(curl_url());
  std::string copy(text);
  bool has_control = std::any_of(copy.begin(), copy.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7F;
  });
  if (has_control || curl_url_set(handle.get(), CURLUPART_URL, copy.c_str(), 0) != CURLUE_OK) {
    return Error(Code::kInvalidArgument, "malformed URL", has_control ? "a URL with a space or control character" : copy);
  }
  Url url;
  url.scheme = ascii_lowercase(url_part(handle.get(), CURLUPART_SCHEME).value_or(""));
  if (url.scheme != "http" && url.scheme != "https") {
    return Error(Code::kInvalidArgument, "only http and https URLs are allowed", copy);
  }
  url.host = ascii_lowercase(url_part(handle.get(), CURLUPART_HOST).value_or(""));
  bool bracketed = url.host.size() > 2 && url.host.front() == '[';
  if (bracketed) url.host = url.host.substr(1, url.host.size() - 2);
  if (url.host.empty()) return Error(Code::kInvalidArgument, "URL has no host", copy);
  if (!bracketed && url.host.back() == '.') {
    // "example.com." names example.com and "127.0.0.1." the address: judged
    // (and sent) without the dot, or a resolver would be asked about a name
    // the allow-list never saw.
    url.host.pop_back();
    if (url.host.empty() || url.host.back() == '.') return Error(Code::kInvalidArgument, "URL has an empty host label", copy);
    if (curl_url_set(handle.get(), CURLUPART_HOST, url.host.c_str(), 0) != CURLUE_OK) {
      return Error(Code::kInvalidArgument, "malformed URL", copy);
    }
  }
  auto port = url_part(handle.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  int number = std::stoi(port.value_or(url.scheme == "https" ? "443" : "80"));
  if (number <= 0 || number > 65535) return Error(Code::kInvalidArgument, "URL has an invalid port", copy);
  url.port = static_cast<uint16_t>(number);
  in6_addr v6;
  in_addr v4;
  bool is_v4;
  url.host_is_ip = parse_ip(url.host, v6, v4, is_v4);
  auto full = url_part(handle.get(), CURLUPART_URL);
  if (!full) return Error(Code::kInvalidArgument, "malformed URL", copy);
  return std::pair<Url, std::string>(std::move(url), std::move(*full));
}

}  // namespace

Result<Url> parse_url(std::string_view text) {
  NAOS_ASSIGN_OR_RETURN(auto parsed, parse_url_to_send(text));
  return std::move(parsed.first);
}

bool is_internal_address(std::string_view ip) {
  in6_addr v6;
  in_addr v4;
  bool is_v4;
  if (!parse_ip(ip, v6, v4, is_v4)) return true;  // not an address: refuse
  if (is_v4) return internal_v4(ntohl(v4.s_addr));
  const uint8_t* b = v6.s6_addr;
  if (IN6_IS_ADDR_V4MAPPED(&v6) || IN6_IS_ADDR_V4COMPAT(&v6)) {
    return internal_v4((uint32_t(b[12]) << 24) | (uint32_t(b[13]) << 16) | (uint32_t(b[14]) << 8) | b[15]);
  }
  return IN6_IS_ADDR_UNSPECIFIED(&v6) || IN6_IS_ADDR_LOOPBACK(&v6) || IN6_IS_ADDR_LINKLOCAL(&v6) ||
         IN6_IS_ADDR_SITELOCAL(&v6) || IN6_IS_ADDR_MULTICAST(&v6) || (b[0] & 0xFE) == 0xFC ||  // fc00::/7 ULA
         (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B);                     // 64:ff9b::/96 NAT64
}

Result<HttpPolicy> HttpPolicy::create(sandbox::NetworkAccess access, const std::vector<std::string>& allowed_hosts) {
  HttpPolicy policy;
  policy.access_ = access;
  for (const auto& text : allowed_hosts) {
    Entry entry;
    std::string rest = ascii_lowercase(text);
    if (auto scheme_end = rest.find("://"); scheme_end != std::string::npos) {
      entry.scheme = rest.substr(0, scheme_end);
      rest = rest.substr(scheme_end + 3);
      if (entry.scheme != "http" && entry.scheme != "https") {
        return Error(Code::kInvalidArgument, "allowedHosts entry has a scheme other than http or https", text);
      }
    }
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
    in6_addr v6;
    in_addr v4;
    bool is_v4;
    std::string host = rest;
    if (!(parse_ip(rest, v6, v4, is_v4) && !is_v4)) {  // a bare IPv6 literal has no port
      std::string port;
      if (rest.front() == '[') {
        size_t close = rest.find(']');
        if (close == std::string::npos || (close + 1 < rest.size() && rest[close + 1] != ':')) {
          return Error(Code::kInvalidArgument, "allowedHosts entry has an unclosed [IPv6] literal", text);
        }
        host = rest.substr(1, close - 1);
        if (close + 1 < rest.size()) port = rest.substr(close + 2);
        if (!parse_ip(host, v6, v4, is_v4) || is_v4) {
          return Error(Code::kInvalidArgument, "allowedHosts entry has brackets around something that is not IPv6",
                       text);
        }
        if (close + 1 < rest.size() && port.empty()) port = "invalid";
      } else if (size_t colon = rest.rfind(':'); colon != std::string::npos) {
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
        if (port.empty()) port = "invalid";
      }
      if (!port.empty()) {
        if (port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) || std::stoi(port) == 0 ||
            std::stoi(port) > 65535) {
          return Error(Code::kInvalidArgument, "allowedHosts entry has an invalid port", text);
        }
        entry.port = static_cast<uint16_t>(std::stoi(port));
      }
    }
    if (host.rfind("*.", 0) == 0) {
      entry.wildcard = true;
      host = host.substr(1);  // keep the dot: ".example.com"
    }
    // "example.com." is example.com, as in a URL (parse_url).
    if (host.size() > 1 && host.back() == '.' && host[host.size() - 2] != '.') host.pop_back();
    bool ipv6 = parse_ip(host, v6, v4, is_v4) && !is_v4;
    if (host.empty() || host == "." || host.find_first_of("/*@ ?#[]") != std::string::npos ||
        (!ipv6 && host.find(':') != std::string::npos)) {
      return Error(Code::kInvalidArgument, "allowedHosts entry is not a host, *.suffix, host:port or scheme://host",
                   text);
    }
    rest = host;
    entry.is_ip = !entry.wildcard && parse_ip(rest, v6, v4, is_v4);
    entry.host = rest;
    policy.entries_.push_back(std::move(entry));
  }
  return policy;
}

const HttpPolicy::Entry* HttpPolicy::match(const Url& url) const {
  for (const auto& entry : entries_) {
    if (!entry.scheme.empty() && entry.scheme != url.scheme) continue;
    uint16_t default_port = url.scheme == "https" ? 443 : 80;
    if (url.port != entry.port.value_or(default_port)) continue;
    bool host_matches = entry.wildcard ? (url.host.size() > entry.host.size() &&
                                          url.host.compare(url.host.size() - entry.host.size(), entry.host.size(),
                                                           entry.host) == 0)
                                       : url.host == entry.host;
    if (host_matches) return &entry;
  }
  return nullptr;
}

Result<std::vector<std::string>> HttpPolicy::check(const Url& url) const {
  std::string where = url.scheme + "://" + url.host + ":" + std::to_string(url.port);
  if (access_ == sandbox::NetworkAccess::kNone) return Error(Code::kPermissionDenied, "network is not granted", where);
  const Entry* entry = match(url);
  if (entry == nullptr && access_ == sandbox::NetworkAccess::kRestricted) {
    return Error(Code::kPermissionDenied, "not on the agent's allowedHosts", where);
  }
  std::vector<std::string> addresses;
  if (url.host_is_ip) {
    addresses.push_back(url.host);
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int rc = getaddrinfo(url.host.c_str(), nullptr, &hints, &found); rc != 0) {
      return Error(Code::kUnavailable, std::string("cannot resolve host: ") + gai_strerror(rc), where);
    }
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      char text[INET6_ADDRSTRLEN] = {};
      const void* raw = a->ai_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
                                                : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
      inet_ntop(a->ai_family, raw, text, sizeof text);
      if (std::find(addresses.begin(), addresses.end(), text) == addresses.end()) addresses.emplace_back(text);
    }
    freeaddrinfo(found);
  }
  // Only an entry that is the literal address unlocks an internal one: a
  // hostname (even one on the list) that resolves inward is refused.
  bool named_literally = entry != nullptr && entry->is_ip;
  for (const auto& address : addresses) {
    if (is_internal_address(address) && !named_literally) {
      return Error(Code::kPermissionDenied,
                   "resolves to internal address " + address +
                       "; only an allowedHosts entry naming that address itself allows it",
                   where);
    }
  }
  if (addresses.empty()) return Error(Code::kUnavailable, "host has no addresses", where);
  return addresses;
}

HttpClient::HttpClient() { curl_global_init(CURL_GLOBAL_DEFAULT); }

namespace {

struct Body {
  std::string bytes;
  bool too_large = false;
};

size_t collect(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<Body*>(user);
  size_t n = size * count;
  if (body->bytes.size() + n > HttpClient::kMaxResponseBytes) {
    body->too_large = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  body->bytes.append(data, n);
  return n;
}

// What every transfer naos makes has in common: http(s) only, no redirects
// followed by curl (naos re-checks each hop), no proxy from the environment
// (ambient authority), the deadline, and the body collected in `body`.
void set_transfer_options(CURL* h, const std::string& url, std::chrono::milliseconds remaining,
                          const char* user_agent, Body& body) {
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_PROXY, "");
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(remaining.count()));
  curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
}

}  // namespace

Result<sandbox::HttpResponse> HttpClient::fetch(const sandbox::HttpRequest& request, const HttpPolicy& policy,
                                                std::chrono::steady_clock::time_point deadline) const {
  std::string url = request.url;
  std::string method = request.method;
  NAOS_TRY(check_header("Content-Type", request.content_type));
  for (int hop = 0; hop <= kMaxRedirects; ++hop) {
    NAOS_ASSIGN_OR_RETURN(auto to_send, parse_url_to_send(url));
    const Url& parsed = to_send.first;
    NAOS_ASSIGN_OR_RETURN(auto addresses, policy.check(parsed));
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0) return Error(Code::kDeadlineExceeded, "the run's timeout elapsed", url);

    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) return Error(Code::kInternal, "cannot create an HTTP handle");
    std::unique_ptr<curl_slist, SlistDeleter> resolve, headers;
    if (!parsed.host_is_ip) {
      std::string pinned = parsed.host + ":" + std::to_string(parsed.port) + ":";
      for (size_t i = 0; i < addresses.size(); ++i) {
        bool v6 = addresses[i].find(':') != std::string::npos;
        pinned += (i ? "," : "") + (v6 ? "[" + addresses[i] + "]" : addresses[i]);
      }
      resolve.reset(curl_slist_append(nullptr, pinned.c_str()));
    }
    Body body;
    CURL* h = curl.get();
    set_transfer_options(h, to_send.second, remaining, "naos-agent/1", body);
    curl_easy_setopt(h, CURLOPT_RESOLVE, resolve.get());
    if (method == "POST") {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      std::string type = "Content-Type: " + (request.content_type.empty() ? "application/octet-stream" : request.content_type);
      headers.reset(curl_slist_append(nullptr, type.c_str()));
      curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    }
    CURLcode rc = curl_easy_perform(h);
    if (body.too_large) {
      return Error(Code::kResourceExhausted,
                   "response is larger than " + std::to_string(kMaxResponseBytes) + " bytes", url);
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) return Error(Code::kDeadlineExceeded, "HTTP request timed out", url);
    if (rc != CURLE_OK) return Error(Code::kUnavailable, curl_easy_strerror(rc), url);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    char* location = nullptr;
    curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location);
    if (status >= 300 && status < 400 && location != nullptr) {
      url = location;
      // 303, and 301/302 after a POST, continue as GET (what browsers do).
      if (status == 303 || ((status == 301 || status == 302) && method == "POST")) method = "GET";
      continue;
    }
    return sandbox::HttpResponse{static_cast<int>(status), std::move(body.bytes)};
  }
  return Error(Code::kResourceExhausted, "more than " + std::to_string(kMaxRedirects) + " redirects", request.url);
}

namespace {

// CURLOPT_XFERINFOFUNCTION: called whenever data moves and about once a
// second while none does; a non-zero return aborts the transfer.
int abort_when_cancelled(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<const std::atomic<bool>*>(user);
  return cancel != nullptr && cancel->load(std::memory_order_relaxed) ? 1 : 0;
}

}  // namespace

Result<sandbox::HttpResponse> HttpClient::post_to_service(const ServiceRequest& request,
                                                          std::chrono::steady_clock::time_point deadline,
                                                          const std::atomic<bool>* cancel) const {
  NAOS_ASSIGN_OR_RETURN(auto to_send, parse_url_to_send(request.url));
  const Url& parsed = to_send.first;
  std::string where = parsed.scheme + "://" + parsed.host + ":" + std::to_string(parsed.port);
  auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (remaining.count() <= 0) return Error(Code::kDeadlineExceeded, "the time for the call ran out before it was sent", where);
  if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
    return Error(Code::kAborted, "the run was cancelled", where);
  }
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return Error(Code::kInternal, "cannot create an HTTP handle");
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const auto& [name, value] : request.headers) {
    NAOS_TRY(check_header(name, name));
    NAOS_TRY(check_header(name, value));
    std::string line = name + ": " + value;
    curl_slist* grown = curl_slist_append(headers.get(), line.c_str());
    if (grown == nullptr) return Error(Code::kInternal, "cannot build the request headers");
    headers.release();
    headers.reset(grown);
  }
  Body body;
  CURL* h = curl.get();
  set_transfer_options(h, to_send.second, remaining, "naos/1", body);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, abort_when_cancelled);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(cancel));
  CURLcode rc = curl_easy_perform(h);
  if (body.too_large) {
    return Error(Code::kResourceExhausted, "response is larger than " + std::to_string(kMaxResponseBytes) + " bytes",
                 where);
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return Error(Code::kDeadlineExceeded,
                 "no response within " + std::to_string(remaining.count()) + " ms (the call's time limit)", where);
  }
  if (rc == CURLE_ABORTED_BY_CALLBACK) return Error(Code::kAborted, "the run was cancelled", where);
  if (rc != CURLE_OK) return Error(Code::kUnavailable, curl_easy_strerror(rc), where);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  return sandbox::HttpResponse{static_cast<int>(status), std::move(body.bytes)};
}

}  // namespace naos::capabilities
