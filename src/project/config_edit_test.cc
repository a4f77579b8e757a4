// project/config_edit.h: section.name set by editing the text; comments and
// everything else stay; every failure leaves the file as it was.
#include "project/config_edit.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "project/config.h"
#include "test_support.h"

namespace naos::project {
namespace {

using naos::testing::read_file;
using naos::testing::TempDir;
using naos::testing::write_file;

constexpr const char* kAgents =
    "# demo project\n"
    "name: demo\n"
    "agents:\n"
    "  # the first agent\n"
    "  a: { source: a.wasm }\n"
    "  b:\n"
    "    source: b.wasm   # built by hand\n"
    "  c: { source: c.wasm }\n";

std::string edit(const std::string& text, const std::string& section, const std::string& name,
                 const std::string& body) {
  auto edited = set_entry_in_text(text, section, name, body);
  EXPECT_TRUE(edited) << edited.error().to_string();
  if (!edited) return "";
  auto parsed = parse_config(*edited, "nexus.config.yaml");
  EXPECT_TRUE(parsed) << parsed.error().to_string() << "\n" << *edited;
  return *edited;
}

TEST(ConfigEdit, AddsTheSectionAtTheEndWhenThereIsNone) {
  std::string out = edit(kAgents, "supervisors", "root", "strategy: one-for-all\nchildren: [a, b]\n");
  EXPECT_EQ(out, std::string(kAgents) +
                     "supervisors:\n"
                     "  root:\n"
                     "    strategy: one-for-all\n"
                     "    children: [a, b]\n");
}

TEST(ConfigEdit, AddsANewEntryAfterTheLastOneAtTheirIndentation) {
  std::string text = std::string(kAgents) +
                     "supervisors:\n"
                     "    root: { children: [a] }   # keep me\n"
                     "\n"
                     "# about sagas\n"
                     "sagas: {}\n";
  std::string out = edit(text, "supervisors", "more", "children: [b]");
  EXPECT_EQ(out, std::string(kAgents) +
                     "supervisors:\n"
                     "    root: { children: [a] }   # keep me\n"
                     "    more:\n"
                     "      children: [b]\n"
                     "\n"
                     "# about sagas\n"
                     "sagas: {}\n");
}

TEST(ConfigEdit, ReplacesAnEntryInPlaceKeepingItsNeighboursAndTheirComments) {
  // PRODUCT.md's layout: a flow entry continued on a second line.
  std::string text = std::string(kAgents) +
                     "supervisors:\n"
                     "  root:    { strategy: one-for-one, children: [api, workers] }\n"
                     "  api:     { strategy: one-for-all, children: [a] }\n"
                     "  workers: { strategy: rest-for-one, maxRestarts: 5,\n"
                     "             children: [b] }\n"
                     "  # the last one\n"
                     "  tail: { children: [c] }\n";
  std::string out = edit(text, "supervisors", "workers", "strategy: one-for-one\nchildren: [b]\n");
  EXPECT_EQ(out, std::string(kAgents) +
                     "supervisors:\n"
                     "  root:    { strategy: one-for-one, children: [api, workers] }\n"
                     "  api:     { strategy: one-for-all, children: [a] }\n"
                     "  workers:\n"
                     "    strategy: one-for-one\n"
                     "    children: [b]\n"
                     "  # the last one\n"
                     "  tail: { children: [c] }\n");
}

TEST(ConfigEdit, ReplacesABlockEntryAndItsInnerCommentsOnly) {
  std::string out = edit(kAgents, "agents", "b", "source: b2.wasm\n");
  EXPECT_EQ(out,
            "# demo project\n"
            "name: demo\n"
            "agents:\n"
            "  # the first agent\n"
            "  a: { source: a.wasm }\n"
            "  b:\n"
            "    source: b2.wasm\n"
            "  c: { source: c.wasm }\n");
}

TEST(ConfigEdit, AnEmptyInlineSectionBecomesABlock) {
  for (const char* empty : {"{}", "~", "null"}) {
    std::string text = std::string(kAgents) + "supervisors: " + empty + "   # none yet\nsagas: {}\n";
    std::string out = edit(text, "supervisors", "root", "children: [a]");
    EXPECT_EQ(out, std::string(kAgents) + "supervisors: # none yet\n  root:\n    children: [a]\nsagas: {}\n") << empty;
  }
}

TEST(ConfigEdit, AOneLineFlowSectionIsRewrittenAsABlock) {
  std::string text = std::string(kAgents) + "supervisors: { x: { children: [a] }, y: { strategy: one-for-all } }\n";
  std::string out = edit(text, "supervisors", "z", "children: [b]\n");
  EXPECT_EQ(out, std::string(kAgents) +
                     "supervisors:\n"
                     "  x: {children: [a]}\n"
                     "  y: {strategy: one-for-all}\n"
                     "  z:\n"
                     "    children: [b]\n");
}

TEST(ConfigEdit, AMultiLineFlowSectionIsRefused) {
  std::string text = std::string(kAgents) + "supervisors: { x: { children: [a] },\n  y: {} }\n";
  auto edited = set_entry_in_text(text, "supervisors", "z", "children: [b]");
  ASSERT_FALSE(edited);
  EXPECT_EQ(edited.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(edited.error().message().find("write it as a block"), std::string::npos);
}

TEST(ConfigEdit, AnEmptyBodyWritesAnEmptyMapping) {
  std::string out = edit(kAgents, "supervisors", "root", "");
  EXPECT_NE(out.find("supervisors:\n  root: {}\n"), std::string::npos) << out;
}

TEST(ConfigEdit, CrlfFilesKeepTheirLineEndings) {
  std::string text = "name: demo\r\nagents:\r\n  a: { source: a.wasm }\r\n";
  std::string out = edit(text, "supervisors", "root", "children: [a]\n");
  EXPECT_EQ(out, "name: demo\r\nagents:\r\n  a: { source: a.wasm }\r\nsupervisors:\r\n  root:\r\n    children: [a]\r\n");
}

TEST(ConfigEdit, BadNamesAreRefusedBeforeAnyEdit) {
  for (const char* name : {"", "a b", "x:y", "-lead", "new\nline"}) {
    auto edited = set_entry_in_text(kAgents, "supervisors", name, "children: [a]");
    ASSERT_FALSE(edited) << name;
    EXPECT_EQ(edited.error().code(), Code::kInvalidArgument);
  }
}

class ConfigEditFile : public ::testing::Test {
 protected:
  std::filesystem::path file() const { return dir_.path() / "nexus.config.yaml"; }
  TempDir dir_;
};

TEST_F(ConfigEditFile, SetsTheEntryAndTheFileValidatesWithIt) {
  write_file(file(), kAgents);
  ASSERT_TRUE(set_config_entry(file(), "supervisors", "root", "strategy: rest-for-one\nchildren: [a, b]\n"));
  auto config = load_config(file());
  ASSERT_TRUE(config) << config.error().to_string();
  ASSERT_TRUE(config->supervisors.contains("root"));
  EXPECT_EQ(config->supervisors.at("root").strategy, SupervisorStrategy::kRestForOne);
  EXPECT_EQ(config->supervisors.at("root").children.size(), 2u);
  // And again: replaced, not added twice.
  ASSERT_TRUE(set_config_entry(file(), "supervisors", "root", "strategy: one-for-all\nchildren: [c]\n"));
  config = load_config(file());
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->supervisors.size(), 1u);
  EXPECT_EQ(config->supervisors.at("root").children[0].name, "c");
  EXPECT_NE(read_file(file()).find("# the first agent"), std::string::npos);
}

TEST_F(ConfigEditFile, AnEditThatWouldNotValidateLeavesTheFileUntouched) {
  write_file(file(), kAgents);
  auto status = set_config_entry(file(), "supervisors", "root", "children: [nobody]\n");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), Code::kInvalidArgument);
  EXPECT_NE(status.error().message().find("unknown agent or supervisor \"nobody\""), std::string::npos)
      << status.error().to_string();
  EXPECT_EQ(read_file(file()), kAgents);
  // The config and its edit lock (kept: see ConfigLock), and no temporary.
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    std::string name = entry.path().filename().string();
    EXPECT_TRUE(entry.path() == file() || name == "." + file().filename().string() + ".lock")
        << "a temporary was left: " << name;
  }
}

TEST_F(ConfigEditFile, AnInvalidFileIsNotEdited) {
  std::string broken = std::string(kAgents) + "supervisors: { root: { strategy: sideways } }\n";
  write_file(file(), broken);
  auto status = set_config_entry(file(), "supervisors", "other", "children: [a]");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), Code::kFailedPrecondition);
  EXPECT_EQ(read_file(file()), broken);
}

TEST_F(ConfigEditFile, AMissingFileIsNotFound) {
  auto status = set_config_entry(file(), "supervisors", "root", "children: []");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), Code::kNotFound);
}

TEST_F(ConfigEditFile, TheReplacementKeepsPermissionsAndASymlinkStaysALink) {
  auto real = dir_.path() / "real.yaml";
  write_file(real, kAgents);
  std::filesystem::permissions(real, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::create_symlink(real, file());
  ASSERT_TRUE(set_config_entry(file(), "supervisors", "root", "children: [a]"));
  EXPECT_TRUE(std::filesystem::is_symlink(file()));
  EXPECT_NE(read_file(real).find("supervisors:\n  root:\n    children: [a]\n"), std::string::npos);
  struct stat info {};
  ASSERT_EQ(::stat(real.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace naos::project
