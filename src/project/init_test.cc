// project/init.h: `naos init` makes a valid project, with a migrated WAL
// database, and never touches an existing one.
#include "project/init.h"

#include <gtest/gtest.h>

#include "project/config.h"
#include "project/project.h"
#include "store/database.h"
#include "store/schema.h"
#include "test_support.h"

namespace naos::project {
namespace {

using naos::testing::read_file;
using naos::testing::TempDir;
using naos::testing::write_file;

TEST(InitProject, CreatesTheLayoutAValidConfigAndAMigratedWalDatabase) {
  TempDir dir;
  auto root = init_project(dir.path() / "demo", "");
  ASSERT_TRUE(root) << root.error().to_string();
  EXPECT_EQ(*root, std::filesystem::weakly_canonical(dir.path() / "demo"));
  for (const char* folder : {"data", "agents", "skills"}) {
    EXPECT_TRUE(std::filesystem::is_directory(*root / folder)) << folder;
  }
  auto project = Project::open(*root);
  ASSERT_TRUE(project) << project.error().to_string();
  EXPECT_EQ(project->config().name, "demo");
  EXPECT_TRUE(project->config().agents.empty());

  ASSERT_TRUE(std::filesystem::exists(project->database_file()));
  auto db = store::Database::open(project->database_file());
  ASSERT_TRUE(db) << db.error().to_string();
  EXPECT_EQ((*db)->schema_version(), static_cast<int>(store::migrations().size()));
  auto mode = (*db)->prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode);
  ASSERT_TRUE(*mode->step());
  EXPECT_EQ(mode->column_text(0), "wal");
}

TEST(InitProject, TheConfigIsCommentedAndMinimal) {
  auto text = initial_config("demo");
  auto config = parse_config(text, "nexus.config.yaml");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_NE(text.find("# "), std::string::npos);
  EXPECT_NE(text.find("docs/config.md"), std::string::npos);
  EXPECT_NE(text.find("naos create NAME --template T"), std::string::npos);
  // Only name and agents are set; every default stays in naos.
  EXPECT_FALSE(config->execution.timeout.has_value());
  EXPECT_FALSE(config->execution.memory_bytes.has_value());
  size_t active = 0;
  for (size_t at = 0; at < text.size(); at = text.find('\n', at) + 1) {
    if (text[at] != '#' && text[at] != '\n') ++active;
  }
  EXPECT_EQ(active, 2u) << text;
}

TEST(InitProject, RefusesAnExistingProjectAndChangesNothing) {
  TempDir dir;
  ASSERT_TRUE(init_project(dir.path(), "first"));
  auto config = dir.path() / "nexus.config.yaml";
  write_file(config, read_file(config) + "# my edit\n");
  auto before = read_file(config);
  auto again = init_project(dir.path(), "second");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), Code::kAlreadyExists);
  EXPECT_NE(again.error().message().find("already a naos project"), std::string::npos) << again.error().message();
  EXPECT_EQ(read_file(config), before);
}

TEST(InitProject, AFolderWithOtherFilesBecomesAProjectKeepingThem) {
  TempDir dir;
  write_file(dir.path() / "README.md", "mine");
  write_file(dir.path() / "agents" / "old" / "old.wasm", "x");
  auto root = init_project(dir.path(), "here");
  ASSERT_TRUE(root) << root.error().to_string();
  EXPECT_EQ(read_file(dir.path() / "README.md"), "mine");
  EXPECT_EQ(read_file(dir.path() / "agents" / "old" / "old.wasm"), "x");
}

TEST(InitProject, TheNameDefaultsToTheFolderAndAnyNameReadsBack) {
  TempDir dir;
  auto root = init_project(dir.path() / "my-proj/", "");
  ASSERT_TRUE(root) << root.error().to_string();
  EXPECT_EQ(Project::open(*root)->config().name, "my-proj");
  for (std::string name : {"My Project: \"quoted\" #1", "null", "true", "42", "ünïcode"}) {
    TempDir other;
    auto made = init_project(other.path(), name);
    ASSERT_TRUE(made) << name << ": " << made.error().to_string();
    auto project = Project::open(*made);
    ASSERT_TRUE(project) << name << ": " << project.error().to_string();
    EXPECT_EQ(project->config().name, name);
  }
}

TEST(InitProject, BadNamesAndFilesInTheWayAreRefused) {
  TempDir dir;
  auto control = init_project(dir.path() / "a", "line\nbreak");
  ASSERT_FALSE(control);
  EXPECT_EQ(control.error().code(), Code::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "a" / "nexus.config.yaml"));

  write_file(dir.path() / "file", "x");
  auto file = init_project(dir.path() / "file", "p");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code(), Code::kAlreadyExists);
}

TEST(InitProject, AFailedDatabaseLeavesNoConfigSoInitCanBeRetried) {
  TempDir dir;
  // data/nexus.db is a folder: the database cannot be opened.
  std::filesystem::create_directories(dir.path() / "data" / "nexus.db");
  auto failed = init_project(dir.path(), "p");
  ASSERT_FALSE(failed);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "nexus.config.yaml"));
  std::filesystem::remove(dir.path() / "data" / "nexus.db");
  auto retried = init_project(dir.path(), "p");
  EXPECT_TRUE(retried) << retried.error().to_string();
}

}  // namespace
}  // namespace naos::project
