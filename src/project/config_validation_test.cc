// Validation says no (issue 19.11): values that parsed but meant nothing, or
// something dangerous, are refused with the documented error format
// (kInvalidArgument, "file:line:col", "key.path: message", a suggestion
// where one helps). Also the YAML bounds as parse_config applies them.
#include "project/config.h"

#include <gtest/gtest.h>

#include <string>

#include "base/printable.h"
#include "project/config_values.h"

namespace naos::project {
namespace {

constexpr const char* kLabel = "nexus.config.yaml";

Result<Config> Parse(const std::string& text) { return parse_config(text, kLabel); }

void ExpectError(const std::string& text, int line, int col, const std::string& needle) {
  auto result = Parse(text);
  ASSERT_FALSE(result) << "accepted:\n" << text;
  EXPECT_EQ(result.error().code(), Code::kInvalidArgument) << result.error().to_string();
  EXPECT_EQ(result.error().context(), std::string(kLabel) + ":" + std::to_string(line) + ":" + std::to_string(col))
      << result.error().to_string();
  EXPECT_NE(result.error().message().find(needle), std::string::npos)
      << "message \"" << result.error().message() << "\" lacks \"" << needle << "\"";
}

void ExpectAccepted(const std::string& text) {
  auto result = Parse(text);
  EXPECT_TRUE(result) << result.error().to_string() << "\n" << text;
}

std::string Env(const std::string& list) { return "agents:\n  a:\n    capabilities: { env: " + list + " }\n"; }

TEST(ConfigValidation, EnvGrantsNameEachVariable) {
  ExpectAccepted(Env("[LANG, TZ, MY_VAR_2, _PRIVATE]"));
  ExpectError(Env("['*']"), 3, 27, "agents.a.capabilities.env[0]: \"*\" is a pattern; list each variable by its name");
  ExpectError(Env("[LANG, 'LC_*']"), 3, 33, "agents.a.capabilities.env[1]: \"LC_*\" is a pattern");
  ExpectError(Env("['']"), 3, 27, "agents.a.capabilities.env[0]: an environment variable name cannot be empty");
  ExpectError(Env("['A=B']"), 3, 27,
              "agents.a.capabilities.env[0]: \"A=B\" is an assignment; env lists the names of host variables passed "
              "through, not values; did you mean A?");
  ExpectError(Env("[\"A\\0B\"]"), 3, 27,
              "agents.a.capabilities.env[0]: expected the name of an environment variable (letters, digits and _, "
              "not starting with a digit), got \"A\\x00B\"");
  ExpectError(Env("['1ABC']"), 3, 27, "not starting with a digit), got \"1ABC\"");
  ExpectError(Env("['MY-VAR']"), 3, 27, "got \"MY-VAR\"");
  ExpectError(Env("['A B']"), 3, 27, "got \"A B\"");
}

TEST(ConfigValidation, AnAgentsSourceStaysInsideTheProjectOrIsAnAbsoluteModule) {
  ExpectAccepted("agents:\n  a: { source: agents/a/a.wasm }\n  b: { source: ./build/b.wasm }\n"
                 "  c: { source: /opt/modules/c.wasm }\n  d: { source: /opt/modules/d.wat }\n");
  ExpectError("agents:\n  a: { source: /etc/passwd }\n", 2, 16,
              "agents.a.source: must be a module inside the project (project-relative, like agents/NAME/NAME.wasm) "
              "or the absolute path of a .wasm or .wat file, got \"/etc/passwd\"");
  ExpectError("agents:\n  a: { source: ../../../bin/ls }\n", 2, 16,
              "agents.a.source: must stay inside the project (a project-relative path without ..), got "
              "\"../../../bin/ls\"");
  ExpectError("agents:\n  a: { source: agents/../../x.wasm }\n", 2, 16, "must stay inside the project");
  ExpectError("agents:\n  a: { source: /opt/../etc/x.wasm }\n", 2, 16, "must stay inside the project");
  ExpectError("agents:\n  a: { source: \"a\\0.wasm\" }\n", 2, 16, "agents.a.source: a path cannot contain a NUL byte");
}

TEST(ConfigValidation, DurationsAndSchedulesAreAtMost365Days) {
  ExpectAccepted("execution: { timeout: 365d }\nagents:\n  a: { schedule: \"@every 365d\" }\n");
  ExpectError("execution: { timeout: 366d }\n", 1, 23, "execution.timeout: duration \"366d\" is too long; at most 365d");
  ExpectError("execution: { timeout: 9223372036854775807ms }\n", 1, 23, "is too long; at most 365d");
  ExpectError("execution: { timeout: 99999999999999999999999d }\n", 1, 23, "is too long; at most 365d");
  ExpectError("agents:\n  a: { schedule: \"@every 9223372036854775807ms\" }\n", 2, 18,
              "agents.a.schedule: duration \"9223372036854775807ms\" is too long; at most 365d");
  ExpectError("agents:\n  a: { schedule: \"@every 400d\" }\n", 2, 18, "is too long; at most 365d");
  ExpectError("sagas:\n  s: { timeout: 1000d, steps: [] }\n", 2, 17, "sagas.s.timeout: duration \"1000d\" is too long");
  ExpectError("supervisors:\n  s: { restartWindow: 5000000h }\n", 2, 23, "is too long");
}

TEST(ConfigValidation, SizesThatOverflowSaySo) {
  ExpectError("execution: { maxOutput: 99999999999999999999 }\n", 1, 25,
              "execution.maxOutput: size \"99999999999999999999\" is too large (it overflows 64 bits)");
  ExpectError("execution: { memoryLimit: 17179869184GiB }\n", 1, 27, "is too large");
  ExpectError("execution: { fuel: 99999999999999999999 }\n", 1, 20, "execution.fuel: \"99999999999999999999\" is too large");
}

TEST(ConfigValidation, ASecondDocumentIsRefusedNotIgnored) {
  ExpectError("name: a\n---\nagents: { evil: {} }\n", 2, 1, "a second YAML document (after ---) is not allowed");
}

TEST(ConfigValidation, MetadataAliasesAreBoundedBeforeTheyAreWalked) {
  ExpectAccepted("agents:\n  a:\n    metadata: { tags: &t [x, y] , again: *t }\n");
  ExpectError("agents:\n  a:\n    metadata: &m { self: *m }\n", 3, 26,
              "agents.a.metadata.self: an alias refers to a node that contains it (a cycle)");
}

// A config file is UTF-8 text: the first byte that is not is named with its
// line and column, and nothing of it reaches a name, a prompt or JSON.
TEST(ConfigValidation, BytesThatAreNotUtf8AreRefusedWhereTheyAre) {
  ExpectError("name: x\nexecution: { timeout: \"\xff\" }\n", 2, 24, "not UTF-8 text: byte 0xFF");
  ExpectError("\xe9t\xe9: 1\n", 1, 1, "not UTF-8 text: byte 0xE9");
  ExpectError("name: caf\xc3\xa9\ndescription: \xc0\xaf\n", 2, 14, "byte 0xC0");  // an overlong '/'
  ExpectAccepted("name: caf\xc3\xa9 \xe2\x9c\x93\n");
}

// An error quotes what the file says; what the file says may be an escape
// sequence (valid UTF-8): it is shown escaped, never sent to the terminal.
TEST(ConfigValidation, ErrorsQuoteTheFileEscaped) {
  auto result = Parse("execution: { timeout: \"\\e[2J\\e[31mred\" }\n");
  ASSERT_FALSE(result);
  const std::string shown = result.error().to_string();
  EXPECT_TRUE(is_printable(shown)) << shown;
  EXPECT_NE(shown.find("\\x1b[2J"), std::string::npos) << shown;
  auto key = Parse("execution: { \"time\\nout\": 1s }\n");
  ASSERT_FALSE(key);
  EXPECT_TRUE(is_printable(key.error().to_string())) << key.error().to_string();
  EXPECT_NE(key.error().to_string().find("time\\nout"), std::string::npos) << key.error().to_string();
}

TEST(ConfigValues, PrintableEscapesWhatATerminalShouldNotReceive) {
  EXPECT_EQ(printable(std::string("a\0b\n\x1b[31m\"\\", 11)), "a\\x00b\\n\\x1b[31m\\\"\\\\");
  EXPECT_EQ(printable("caf\xc3\xa9"), "caf\xc3\xa9");
}

}  // namespace
}  // namespace naos::project
