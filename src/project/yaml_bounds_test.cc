#include "project/yaml_bounds.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace naos::project {
namespace {

// Aliases `levels` deep, `width` wide: l0 is `width` scalars, each further
// level `width` aliases of the one before (issue 19.5's 643-byte config is
// 9 deep, 10 wide: 10^9 nodes once expanded).
std::string AliasBomb(int levels, int width) {
  std::string text = "name: bomb\nagents:\n  a:\n    metadata:\n      l0: &l0 [";
  for (int i = 0; i < width; ++i) text += i ? ",x" : "x";
  text += "]\n";
  for (int level = 1; level < levels; ++level) {
    std::string previous = "l" + std::to_string(level - 1);
    text += "      l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
    for (int i = 0; i < width; ++i) text += (i ? ",*" : "*") + previous;
    text += "]\n";
  }
  return text;
}

std::string Message(const Status& status) { return status ? "ok" : status.error().to_string(); }

TEST(YamlBounds, AcceptsAnOrdinaryConfigWithAFewAliases) {
  std::string text =
      "name: demo\n"
      "agents:\n"
      "  a: { capabilities: &caps { network: restricted, allowedHosts: [x.com] } }\n"
      "  b: { capabilities: *caps }\n";
  EXPECT_TRUE(check_yaml_bounds(text, "nexus.config.yaml")) << Message(check_yaml_bounds(text, "nexus.config.yaml"));
}

TEST(YamlBounds, RefusesTheAliasBombFastAtTheAliasThatCrossesTheLimit) {
  std::string text = AliasBomb(9, 10);
  auto started = std::chrono::steady_clock::now();
  Status status = check_yaml_bounds(text, "nexus.config.yaml");
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), Code::kInvalidArgument);
  // l0..l3 stand for 11, 111, 1111 and 11111 nodes; l1..l3's aliases for
  // 12330 together, and the 8th alias of l3 in l4 crosses 100,000.
  EXPECT_EQ(status.error().context(), "nexus.config.yaml:9:44") << Message(status);
  EXPECT_EQ(status.error().message().rfind("agents.a.metadata.l4[7]: ", 0), 0u) << Message(status);
  EXPECT_NE(status.error().message().find("more than 100000 nodes once expanded"), std::string::npos);
  EXPECT_LT(took, std::chrono::milliseconds(500));
}

TEST(YamlBounds, CountsAliasesInsideAliasesByWhatTheyExpandTo) {
  // 4 levels of 10: the aliases stand for 12330 nodes; a fifth level
  // multiplies that by ten.
  EXPECT_TRUE(check_yaml_bounds(AliasBomb(4, 10), "f"));
  EXPECT_FALSE(check_yaml_bounds(AliasBomb(5, 10), "f"));
  YamlBounds tight;
  tight.max_alias_nodes = 99;
  EXPECT_FALSE(check_yaml_bounds(AliasBomb(3, 10), "f", tight));  // l1 = 10 aliases of 11 nodes each
}

TEST(YamlBounds, RefusesASecondDocumentAtItsStart) {
  Status status = check_yaml_bounds("name: a\n---\nname: b\n", "nexus.config.yaml");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().context(), "nexus.config.yaml:2:1");  // at its ---
  EXPECT_NE(status.error().message().find("a second YAML document"), std::string::npos);
  // A leading --- and a closing ... are one document.
  EXPECT_TRUE(check_yaml_bounds("---\nname: a\n...\n", "f"));
  EXPECT_FALSE(check_yaml_bounds("name: a\n---\n", "f"));
}

TEST(YamlBounds, RefusesNestingDeeperThanTheLimitAlsoThroughAliases) {
  std::string deep = "a: ";
  for (int i = 0; i < 70; ++i) deep += "[";
  for (int i = 0; i < 70; ++i) deep += "]";
  Status status = check_yaml_bounds(deep, "f");
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("nested more than 64 levels deep"), std::string::npos) << Message(status);

  // 40 levels behind an anchor, used 40 levels down: 80 once expanded.
  std::string via_alias = "a: &deep ";
  for (int i = 0; i < 40; ++i) via_alias += "[";
  for (int i = 0; i < 40; ++i) via_alias += "]";
  via_alias += "\nb: ";
  for (int i = 0; i < 40; ++i) via_alias += "[";
  via_alias += "*deep";
  for (int i = 0; i < 40; ++i) via_alias += "]";
  EXPECT_FALSE(check_yaml_bounds(via_alias, "f"));
}

TEST(YamlBounds, RefusesAnAliasInsideTheNodeItNames) {
  Status status = check_yaml_bounds("metadata: &m { x: *m }\n", "f");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().message(), "metadata.x: an alias refers to a node that contains it (a cycle)");
}

TEST(YamlBounds, RefusesAFileOverOneMebibyteWithoutParsingIt) {
  std::string big = "name: x\n# " + std::string(kMaxConfigBytes, 'x') + "\n";
  Status status = check_yaml_bounds(big, "nexus.config.yaml");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().context(), "nexus.config.yaml");
  EXPECT_NE(status.error().message().find("a config may be at most 1MiB"), std::string::npos) << Message(status);
}

TEST(YamlBounds, ReportsMalformedYamlWithItsPosition) {
  Status status = check_yaml_bounds("a: [1, 2\n", "f");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().message().rfind("malformed YAML", 0), 0u) << Message(status);
}

TEST(YamlBounds, IsLinearInTheSizeOfTheFile) {
  // A 1 MiB list of scalars, and 1 MiB of aliases of one scalar: both well
  // under a second.
  std::string flat = "a: [";
  while (flat.size() < kMaxConfigBytes - 16) flat += "1,";
  flat += "1]\n";
  std::string aliases = "a: &s x\nb: [";
  while (aliases.size() < 200'000) aliases += "*s,";
  aliases += "*s]\n";
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(check_yaml_bounds(flat, "f")) << Message(check_yaml_bounds(flat, "f"));
  EXPECT_TRUE(check_yaml_bounds(aliases, "f"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

}  // namespace
}  // namespace naos::project
