// capabilities/http.h and docs/abi.md "HTTP": URL parsing, internal-address
// classification, and the allow-list policy. No test needs real DNS: URLs that
// must connect are IP literals, `localhost` resolves through /etc/hosts, and
// hostnames are only used where the allow-list decides before any lookup.
#include "capabilities/http.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace naos::capabilities {
namespace {

using sandbox::NetworkAccess;
using Addresses = std::vector<std::string>;

Url MustParse(std::string_view text) {
  auto url = parse_url(text);
  EXPECT_TRUE(url) << text << ": " << (url ? "" : url.error().to_string());
  return url ? *url : Url{};
}

HttpPolicy MustCreate(NetworkAccess access, const std::vector<std::string>& entries) {
  auto policy = HttpPolicy::create(access, entries);
  EXPECT_TRUE(policy) << policy.error().to_string();
  return policy ? *policy : *HttpPolicy::create(NetworkAccess::kNone, {});
}

Result<Addresses> Check(const HttpPolicy& policy, std::string_view url) { return policy.check(MustParse(url)); }

// True when `url` gets past the allow-list. A matching hostname goes on to DNS,
// which may fail without a network (kUnavailable) or succeed where there is
// one; either way the allow-list let it through. kPermissionDenied means refused.
bool PassesAllowList(const HttpPolicy& policy, std::string_view url) {
  auto result = Check(policy, url);
  if (result) return true;
  EXPECT_TRUE(result.error().code() == Code::kPermissionDenied || result.error().code() == Code::kUnavailable)
      << url << ": " << result.error().to_string();
  return result.error().code() != Code::kPermissionDenied;
}

void ExpectDenied(const HttpPolicy& policy, std::string_view url) {
  auto result = Check(policy, url);
  ASSERT_FALSE(result) << url << " was allowed";
  EXPECT_EQ(result.error().code(), Code::kPermissionDenied) << url << ": " << result.error().to_string();
}

// ---- parse_url: only absolute http and https URLs --------------------------

TEST(HttpParseUrl, ReadsSchemeHostAndTheSchemesDefaultPort) {
  Url http = MustParse("http://example.com/path?q=1");
  EXPECT_EQ(http.scheme, "http");
  EXPECT_EQ(http.host, "example.com");
  EXPECT_EQ(http.port, 80);
  EXPECT_FALSE(http.host_is_ip);

  Url https = MustParse("https://api.example.com");
  EXPECT_EQ(https.scheme, "https");
  EXPECT_EQ(https.host, "api.example.com");
  EXPECT_EQ(https.port, 443);
}

TEST(HttpParseUrl, KeepsAnExplicitPort) {
  EXPECT_EQ(MustParse("http://example.com:8080/").port, 8080);
  EXPECT_EQ(MustParse("https://example.com:80/").port, 80);
  EXPECT_EQ(MustParse("http://example.com:443/").port, 443);
}

TEST(HttpParseUrl, LowercasesSchemeAndHost) {
  Url url = MustParse("HTTPS://API.Example.COM:8443/Path");
  EXPECT_EQ(url.scheme, "https");
  EXPECT_EQ(url.host, "api.example.com");
  EXPECT_EQ(url.port, 8443);
}

TEST(HttpParseUrl, UnbracketsAnIpv6LiteralAndMarksItAsAnAddress) {
  Url url = MustParse("http://[::1]:8080/");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 8080);
  EXPECT_TRUE(url.host_is_ip);
  Url upper = MustParse("https://[FD12::ABCD]/");
  EXPECT_EQ(upper.host, "fd12::abcd");
  EXPECT_EQ(upper.port, 443);
  EXPECT_TRUE(upper.host_is_ip);
}

TEST(HttpParseUrl, MarksAnIpv4LiteralAsAnAddress) {
  Url url = MustParse("http://93.184.216.34/");
  EXPECT_EQ(url.host, "93.184.216.34");
  EXPECT_TRUE(url.host_is_ip);
}

TEST(HttpParseUrl, IgnoresUserinfoWhenFindingTheHost) {
  Url url = MustParse("http://user:secret@example.com/");
  EXPECT_EQ(url.host, "example.com");
  EXPECT_EQ(url.port, 80);
}

TEST(HttpParseUrl, RefusesOtherSchemes) {
  for (const char* text : {"ftp://example.com/file", "file:///etc/passwd", "gopher://example.com/", "ws://example.com/",
                           "javascript:alert(1)", "data:text/plain,hi"}) {
    auto url = parse_url(text);
    ASSERT_FALSE(url) << text;
    EXPECT_EQ(url.error().code(), Code::kInvalidArgument) << text;
  }
}

TEST(HttpParseUrl, RefusesTextThatIsNotAnAbsoluteUrl) {
  for (const char* text : {"not a url", "", "example.com", "example.com/path", "//example.com/", "/relative/path",
                           "http://", "https://", "http://:8080/"}) {
    auto url = parse_url(text);
    ASSERT_FALSE(url) << "\"" << text << "\" was accepted as host \"" << url->host << "\"";
    EXPECT_EQ(url.error().code(), Code::kInvalidArgument) << text;
  }
}

TEST(HttpParseUrl, RefusesWhitespaceAnywhere) {
  for (const char* text : {"http://exa mple.com/", "http://example.com/a b", " http://example.com/", "http://example.com/\n",
                           "http://example.com/\tx", "http://example.com\r\n/"}) {
    auto url = parse_url(text);
    ASSERT_FALSE(url) << text;
    EXPECT_EQ(url.error().code(), Code::kInvalidArgument) << text;
  }
}

TEST(HttpParseUrl, RefusesControlCharactersAnywhere) {
  for (std::string text : {std::string("http://example.com/a\0b", 22), std::string("http://example.com/\x1b[31m"),
                           std::string("http://exa\x7fmple.com/"), std::string("http://example.com\0.evil/", 25)}) {
    auto url = parse_url(text);
    ASSERT_FALSE(url) << text;
    EXPECT_EQ(url.error().code(), Code::kInvalidArgument) << text;
  }
}

TEST(HttpParseUrl, DropsTheTrailingDotOfAFullyQualifiedHost) {
  Url ip = MustParse("http://127.0.0.1.:8080/x?q=1");
  EXPECT_EQ(ip.host, "127.0.0.1");
  EXPECT_TRUE(ip.host_is_ip);
  EXPECT_EQ(ip.port, 8080);
  Url name = MustParse("https://Example.COM./path");
  EXPECT_EQ(name.host, "example.com");
  EXPECT_FALSE(name.host_is_ip);
  EXPECT_FALSE(parse_url("http://example.com../"));
  EXPECT_FALSE(parse_url("http://./"));
}

TEST(HttpHeader, AContentTypeWithCrLfOrNulIsRefusedBeforeAnythingIsSent) {
  // The listed port 1 has no server: a request that were sent would fail
  // with kUnavailable, not kInvalidArgument.
  HttpPolicy policy = MustCreate(NetworkAccess::kRestricted, {"127.0.0.1:1"});
  HttpClient client;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (std::string type : {std::string("text/plain\r\nAuthorization: Bearer X"), std::string("a\nb"),
                           std::string("a\rb"), std::string("a\0b", 3)}) {
    auto response = client.fetch({"POST", "http://127.0.0.1:1/", "body", type}, policy, deadline);
    ASSERT_FALSE(response) << type;
    EXPECT_EQ(response.error().code(), Code::kInvalidArgument) << response.error().to_string();
    EXPECT_EQ(response.error().to_string().find("Bearer"), std::string::npos) << response.error().to_string();
  }
}

TEST(HttpParseUrl, RefusesAPortOutOfRange) {
  EXPECT_FALSE(parse_url("http://example.com:65536/"));
  EXPECT_FALSE(parse_url("http://example.com:99999/"));
  EXPECT_FALSE(parse_url("http://example.com:-1/"));
  EXPECT_FALSE(parse_url("http://example.com:http/"));
}

// ---- is_internal_address ----------------------------------------------------

TEST(HttpInternalAddress, CoversLoopbackPrivateLinkLocalCgnatUnspecifiedMulticastAndBroadcastIpv4) {
  for (const char* ip : {"127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.20.5.5",
                         "172.31.255.255", "192.168.0.1", "192.168.255.255", "169.254.169.254", "169.254.0.1",
                         "100.64.0.1", "100.127.255.255", "0.0.0.0", "224.0.0.1", "239.255.255.255",
                         "255.255.255.255"}) {
    EXPECT_TRUE(is_internal_address(ip)) << ip;
  }
}

TEST(HttpInternalAddress, CoversLoopbackUnspecifiedLinkLocalUniqueLocalAndMulticastIpv6) {
  for (const char* ip : {"::1", "::", "fe80::1", "fe80::abcd:1234", "fc00::1", "fd12::1", "fdff:ffff::1", "ff02::1",
                         "FE80::1"}) {
    EXPECT_TRUE(is_internal_address(ip)) << ip;
  }
}

TEST(HttpInternalAddress, CoversIpv4MappedFormsOfInternalAddresses) {
  for (const char* ip : {"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:192.168.1.1", "::ffff:169.254.169.254",
                         "::ffff:7f00:1", "::ffff:0.0.0.0"}) {
    EXPECT_TRUE(is_internal_address(ip)) << ip;
  }
}

TEST(HttpInternalAddress, LeavesPublicAddressesOut) {
  for (const char* ip : {"8.8.8.8", "1.1.1.1", "93.184.216.34", "172.15.255.255", "172.32.0.1", "100.63.255.255",
                         "100.128.0.1", "169.253.0.1", "192.169.0.1", "11.0.0.1", "223.255.255.255",
                         "2606:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8"}) {
    EXPECT_FALSE(is_internal_address(ip)) << ip;
  }
}

TEST(HttpInternalAddress, TreatsTextThatIsNotAnAddressAsInternalSoItIsRefused) {
  for (const char* text : {"", "localhost", "example.com", "256.0.0.1", "[::1]", "1.2.3"}) {
    EXPECT_TRUE(is_internal_address(text)) << text;
  }
}

// ---- HttpPolicy::create: allow-list entries ---------------------------------

TEST(HttpPolicyCreate, AcceptsEveryDocumentedEntryForm) {
  for (const char* entry : {"api.example.com", "*.example.org", "example.com:8080", "https://example.com",
                            "http://example.com:8080", "https://example.com/", "127.0.0.1", "127.0.0.1:9000",
                            "[::1]", "[::1]:8080", "API.Example.COM"}) {
    auto policy = HttpPolicy::create(NetworkAccess::kRestricted, {entry});
    EXPECT_TRUE(policy) << entry << ": " << policy.error().to_string();
  }
}

TEST(HttpPolicyCreate, RefusesMalformedEntriesNamingThem) {
  for (const char* entry : {"http://", "https://", "*", "*.", "host:99999", "host:65536", "host:0", "host:", "host:http",
                            "ftp://x", "file:///etc", "", "http://example.com/path", "user@example.com",
                            "example.com?x", "exa mple.com", "*example.com", "a.*.example.com", "**.example.com"}) {
    auto policy = HttpPolicy::create(NetworkAccess::kRestricted, {"ok.example.com", entry});
    ASSERT_FALSE(policy) << "\"" << entry << "\" was accepted";
    EXPECT_EQ(policy.error().code(), Code::kInvalidArgument) << entry;
    EXPECT_EQ(policy.error().context(), entry) << policy.error().to_string();
  }
}

TEST(ParseUrl, RefusesPortZero) {
  EXPECT_FALSE(parse_url("http://example.com:0/"));
}

TEST(HttpPolicyCreate, RefusesOrUnderstandsAnUnbracketedIpv6Entry) {
  for (const char* entry : {"::1", "fd00::1"}) {
    auto policy = HttpPolicy::create(NetworkAccess::kRestricted, {entry});
    if (!policy) {
      EXPECT_EQ(policy.error().code(), Code::kInvalidArgument) << entry;
      continue;
    }
    auto allowed = Check(*policy, std::string("http://[") + entry + "]/");
    EXPECT_TRUE(allowed) << entry << " was accepted but does not allow its own address: "
                         << allowed.error().to_string();
  }
}

TEST(HttpPolicyCreate, RefusesEntriesWhoseHostIsNotAHostNameOrAddress) {
  for (const char* entry : {"h:1:2", "[::1", "[]", "a]:80"}) {
    auto policy = HttpPolicy::create(NetworkAccess::kRestricted, {entry});
    EXPECT_FALSE(policy) << "\"" << entry << "\" was accepted";
  }
}

// ---- HttpPolicy::check: host matching ----------------------------------------

TEST(HttpPolicyCheck, ExactHostMatchesOnlyThatHost) {
  HttpPolicy policy = MustCreate(NetworkAccess::kRestricted, {"api.example.com"});
  EXPECT_TRUE(PassesAllowList(policy, "https://api.example.com/v1"));
  EXPECT_TRUE(PassesAllowList(policy, "http://API.EXAMPLE.COM/"));
  EXPECT_FALSE(PassesAllowList(policy, "https://example.com/"));
  EXPECT_FALSE(PassesAllowList(policy, "https://x.api.example.com/"));
  EXPECT_FALSE(PassesAllowList(policy, "https://api.example.com.evil.net/"));
  EXPECT_FALSE(PassesAllowList(policy, "https://evilapi.example.com/"));
}

TEST(HttpPolicyCheck, EntriesAreCaseInsensitive) {
  HttpPolicy policy = MustCreate(NetworkAccess::kRestricted, {"API.Example.COM"});
  EXPECT_TRUE(PassesAllowList(policy, "https://api.example.com/"));
}

TEST(HttpPolicyCheck, WildcardMatchesAnySubdomainButNotTheBareSuffix) {
  HttpPolicy policy = MustCreate(NetworkAccess::kRestricted, {"*.example.org"});
  EXPECT_TRUE(PassesAllowList(policy, "https://a.example.org/"));
  EXPECT_TRUE(PassesAllowList(policy, "https://a.b.example.org/"));
  EXPECT_FALSE(PassesAllowList(policy, "https://example.org/"));
  EXPECT_FALSE(PassesAllowList(policy, "https://evilexample.org/"));
  EXPECT_FALSE(PassesAllowList(policy, "https://example.org.evil.net/"));
  EXPECT_FALSE(PassesAllowList(policy, "https://a.example.org.evil.net/"));
}

TEST(HttpPolicyCheck, HostPortEntryAllowsOnlyThatPortOnEitherScheme) {
  HttpPolicy policy = MustCreate(NetworkAccess::kRestricted, {"api.example.com:8080"});
  EXPECT_TRUE(PassesAllowList(policy, "http://api.example.com:8080/"));
  EXPECT_TRUE(PassesAllowList(policy, "https://api.example.com:8080/"));
  EXPECT_FALSE(PassesAllowList(policy, "http://api.example.com/"));
  EXPECT_FALSE(PassesAllowList(policy, "https://api.example.com/"));
  EXPECT_FALSE(PassesAllowList(policy, "http://api.example.com:8081/"));
}

TEST(HttpPolicyCheck, EntryWithoutAPortAllowsOnlyTheSchemesDefaultPort) {
  HttpPolicy policy = MustCreate(NetworkAccess::kRestricted, {"api.example.com"});
  EXPECT_TRUE(PassesAllowList(policy, "http://api.example.com/"));
  EXPECT_TRUE(PassesAllowList(policy, "http://api.example.com:80/"));
  EXPECT_TRUE(PassesAllowList(policy, "https://api.example.com/"));
  EXPECT_TRUE(PassesAllowList(policy, "https://api.example.com:443/"));
  EXPECT_FALSE(PassesAllowList(policy, "http://api.example.com:443/"));
  EXPECT_FALSE(PassesAllowList(policy, "https://api.example.com:80/"));
  EXPECT_FALSE(PassesAllowList(policy, "http://api.example.com:8080/"));
  EXPECT_FALSE(PassesAllowList(policy, "http://api.example.com:22/"));
}

TEST(HttpPolicyCheck, SchemeEntryAllowsOnlyThatScheme) {
  HttpPolicy https_only = MustCreate(NetworkAccess::kRestricted, {"https://api.example.com"});
  EXPECT_TRUE(PassesAllowList(https_only, "https://api.example.com/"));
  EXPECT_FALSE(PassesAllowList(https_only, "http://api.example.com/"));
  EXPECT_FALSE(PassesAllowList(https_only, "http://api.example.com:443/"));

  HttpPolicy http_port = MustCreate(NetworkAccess::kRestricted, {"http://api.example.com:8080"});
  EXPECT_TRUE(PassesAllowList(http_port, "http://api.example.com:8080/"));
  EXPECT_FALSE(PassesAllowList(http_port, "https://api.example.com:8080/"));
  EXPECT_FALSE(PassesAllowList(http_port, "http://api.example.com/"));
}

TEST(HttpPolicyCheck, AnyOfSeveralEntriesMayMatch) {
  HttpPolicy policy = MustCreate(NetworkAccess::kRestricted, {"api.example.com", "*.example.org", "data.example.net:9000"});
  EXPECT_TRUE(PassesAllowList(policy, "https://api.example.com/"));
  EXPECT_TRUE(PassesAllowList(policy, "https://www.example.org/"));
  EXPECT_TRUE(PassesAllowList(policy, "http://data.example.net:9000/"));
  EXPECT_FALSE(PassesAllowList(policy, "http://data.example.net/"));
  EXPECT_FALSE(PassesAllowList(policy, "https://other.example.com/"));
}

// ---- HttpPolicy::check: network modes ---------------------------------------

TEST(HttpPolicyCheck, NoNetworkDeniesEverythingEvenListedAddresses) {
  HttpPolicy policy = MustCreate(NetworkAccess::kNone, {"93.184.216.34", "api.example.com", "127.0.0.1"});
  ExpectDenied(policy, "http://93.184.216.34/");
  ExpectDenied(policy, "https://api.example.com/");
  ExpectDenied(policy, "http://127.0.0.1/");
  ExpectDenied(policy, "http://8.8.8.8/");
}

TEST(HttpPolicyCheck, RestrictedNetworkDeniesUnlistedHostsAndAddresses) {
  HttpPolicy policy = MustCreate(NetworkAccess::kRestricted, {"93.184.216.34"});
  ExpectDenied(policy, "http://8.8.8.8/");
  ExpectDenied(policy, "https://unlisted.example.com/");
  ExpectDenied(policy, "http://93.184.216.34:8080/");
  auto allowed = Check(policy, "http://93.184.216.34/");
  ASSERT_TRUE(allowed) << allowed.error().to_string();
  EXPECT_EQ(*allowed, Addresses{"93.184.216.34"});
}

TEST(HttpPolicyCheck, OpenNetworkAllowsUnlistedPublicAddresses) {
  HttpPolicy policy = MustCreate(NetworkAccess::kOpen, {});
  auto v4 = Check(policy, "http://93.184.216.34/");
  ASSERT_TRUE(v4) << v4.error().to_string();
  EXPECT_EQ(*v4, Addresses{"93.184.216.34"});
  auto other_port = Check(policy, "https://1.1.1.1:8443/");
  ASSERT_TRUE(other_port) << other_port.error().to_string();
  EXPECT_EQ(*other_port, Addresses{"1.1.1.1"});
  auto v6 = Check(policy, "https://[2606:4700::1111]/");
  ASSERT_TRUE(v6) << v6.error().to_string();
  EXPECT_EQ(*v6, Addresses{"2606:4700::1111"});
}

TEST(HttpPolicyCheck, OpenNetworkRefusesInternalAddressesThatNoEntryNames) {
  HttpPolicy policy = MustCreate(NetworkAccess::kOpen, {});
  for (const char* url : {"http://127.0.0.1/", "http://127.0.0.1:8080/", "http://10.0.0.1/", "http://192.168.1.1/",
                          "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/", "http://0.0.0.0/",
                          "http://[::1]/", "http://[fe80::1]/", "http://[fd12::1]/", "http://[::ffff:127.0.0.1]/",
                          "http://[::ffff:10.0.0.1]/"}) {
    ExpectDenied(policy, url);
  }
}

TEST(HttpPolicyCheck, OpenNetworkRefusesLoopbackWrittenInOtherNumericForms) {
  HttpPolicy policy = MustCreate(NetworkAccess::kOpen, {});
  for (const char* url : {"http://2130706433/", "http://0x7f000001/", "http://127.1/", "http://0177.0.0.1/",
                          "http://[0:0:0:0:0:0:0:1]/", "http://[::ffff:7f00:1]/"}) {
    ExpectDenied(policy, url);
  }
}

TEST(HttpPolicyCheck, AnEntryNamingTheInternalAddressItselfUnlocksItOnItsPort) {
  HttpPolicy open = MustCreate(NetworkAccess::kOpen, {"127.0.0.1"});
  auto allowed = Check(open, "http://127.0.0.1/");
  ASSERT_TRUE(allowed) << allowed.error().to_string();
  EXPECT_EQ(*allowed, Addresses{"127.0.0.1"});
  ExpectDenied(open, "http://127.0.0.1:8080/");  // the entry has no port: 80/443 only
  ExpectDenied(open, "http://127.0.0.2/");
  ExpectDenied(open, "http://10.0.0.1/");
}

TEST(HttpPolicyCheck, ListedLoopbackAddressWithPortIsAllowedOnThatPortOnly) {
  HttpPolicy policy = MustCreate(NetworkAccess::kRestricted, {"127.0.0.1:8080"});
  auto allowed = Check(policy, "http://127.0.0.1:8080/health");
  ASSERT_TRUE(allowed) << allowed.error().to_string();
  EXPECT_EQ(*allowed, Addresses{"127.0.0.1"});
  ExpectDenied(policy, "http://127.0.0.1/");
  ExpectDenied(policy, "http://127.0.0.1:8081/");
}

TEST(HttpPolicyCheck, ATrailingDotHostIsJudgedAsTheHostWithoutIt) {
  HttpPolicy listed = MustCreate(NetworkAccess::kRestricted, {"127.0.0.1:8080"});
  auto allowed = Check(listed, "http://127.0.0.1.:8080/");
  ASSERT_TRUE(allowed) << allowed.error().to_string();
  EXPECT_EQ(*allowed, Addresses{"127.0.0.1"});
  HttpPolicy open = MustCreate(NetworkAccess::kOpen, {});
  ExpectDenied(open, "http://127.0.0.1./");
  ExpectDenied(open, "http://localhost./");
  // Refused by the allow-list before any lookup: no DNS query for it.
  HttpPolicy restricted = MustCreate(NetworkAccess::kRestricted, {"api.example.com"});
  ExpectDenied(restricted, "http://unlisted.example.org./");
  // An entry written fully qualified is the same entry.
  EXPECT_TRUE(MustCreate(NetworkAccess::kRestricted, {"example.com."}).matches(MustParse("http://example.com/")));
  EXPECT_TRUE(MustCreate(NetworkAccess::kRestricted, {"*.example.com."}).matches(MustParse("http://a.example.com./")));
}

TEST(HttpPolicyCheck, ListedIpv6LoopbackLiteralIsAllowed) {
  HttpPolicy policy = MustCreate(NetworkAccess::kRestricted, {"[::1]:8080"});
  auto allowed = Check(policy, "http://[::1]:8080/");
  ASSERT_TRUE(allowed) << allowed.error().to_string();
  EXPECT_EQ(*allowed, Addresses{"::1"});
  ExpectDenied(policy, "http://[::1]:8081/");
  ExpectDenied(policy, "http://127.0.0.1:8080/");
}

TEST(HttpPolicyCheck, ListedHostnameThatResolvesToLoopbackIsRefused) {
  // localhost resolves through /etc/hosts: no network needed.
  for (auto access : {NetworkAccess::kRestricted, NetworkAccess::kOpen}) {
    HttpPolicy listed = MustCreate(access, {"localhost"});
    auto result = Check(listed, "http://localhost/");
    ASSERT_FALSE(result) << "localhost was allowed";
    EXPECT_EQ(result.error().code(), Code::kPermissionDenied) << result.error().to_string();
    HttpPolicy with_port = MustCreate(access, {"localhost:8080"});
    ExpectDenied(with_port, "http://localhost:8080/");
  }
}

TEST(HttpPolicyCheck, OpenNetworkRefusesAnUnlistedHostnameThatResolvesToLoopback) {
  HttpPolicy policy = MustCreate(NetworkAccess::kOpen, {});
  ExpectDenied(policy, "http://localhost/");
  ExpectDenied(policy, "http://LOCALHOST:8080/");
}

}  // namespace
}  // namespace naos::capabilities
