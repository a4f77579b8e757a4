// libFuzzer target: the http capability's URL parser, address classifier and
// allow-list policy (capabilities/http.h). Input: allow-list entries, comma
// separated, on the first line; the URL on the rest.
//
// Besides "no crash", it checks the rules of docs/abi.md "HTTP" on every URL
// whose host is an IP literal (those are decided without DNS, so the target
// never sends a query off the machine):
//   - restricted access reaches only a URL an entry matches;
//   - an internal address is reached only when an entry names that address.
// A broken rule aborts, which libFuzzer reports with the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "capabilities/http.h"

namespace {

using naos::capabilities::HttpPolicy;
using naos::sandbox::NetworkAccess;

[[noreturn]] void broken(const char* rule, const std::string& url) {
  std::fprintf(stderr, "http policy rule broken: %s (url %s)\n", rule, url.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t newline = text.find('\n');
  std::string_view list = newline == std::string_view::npos ? std::string_view() : text.substr(0, newline);
  std::string url_text(newline == std::string_view::npos ? text : text.substr(newline + 1));
  std::vector<std::string> entries;
  for (size_t start = 0; start < list.size();) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    entries.emplace_back(list.substr(start, comma - start));
    start = comma + 1;
  }

  auto url = naos::capabilities::parse_url(url_text);
  for (const auto& entry : entries) (void)naos::capabilities::is_internal_address(entry);
  if (!url) return 0;
  bool internal = url->host_is_ip && naos::capabilities::is_internal_address(url->host);
  for (NetworkAccess access : {NetworkAccess::kRestricted, NetworkAccess::kOpen}) {
    auto policy = HttpPolicy::create(access, entries);
    if (!policy) continue;
    bool matched = policy->matches(*url);
    if (!url->host_is_ip) continue;  // deciding it would need DNS
    auto checked = policy->check(*url);
    if (!checked) continue;
    if (access == NetworkAccess::kRestricted && !matched) broken("restricted reached an unlisted url", url_text);
    if (internal && !matched) broken("an internal address reached without an entry naming it", url_text);
  }
  return 0;
}
