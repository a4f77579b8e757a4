// Evidence cannot be erased by ordinary use (governance/evidence.h,
// governance/witness.h), through the real `naos` binary: each kind of
// tampering with data/ is detected, and stays detected after ten further
// ordinary commands, until an operator runs `naos audit accept`.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "governance/evidence.h"
#include "store/database.h"
#include "test_support.h"

namespace naos {
namespace {

namespace fs = std::filesystem;
using testing::agent_path;
using testing::read_file;
using testing::run_naos;
using testing::write_file;

class TamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(root() / "nexus.config.yaml",
               "name: tamper\nagents:\n  echo:\n    source: " + agent_path("echo").string() + "\n");
    auto first = naos({"run", "echo", "--input", "first"});
    ASSERT_EQ(first.exit_status, 0) << first.err;
  }
  testing::CommandResult naos(const std::vector<std::string>& args, const fs::path& cwd = {}) {
    return run_naos(args, cwd.empty() ? root() : cwd);
  }
  const fs::path& root() const { return dir_.path(); }
  fs::path database() const { return root() / "data" / "nexus.db"; }
  fs::path evidence() const { return *governance::Evidence::folder_for(testing::state_dir(), root()); }
  void remove_database() {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(database().string() + suffix);
  }
  std::string database_id() const { return read_file(evidence() / "database.id").substr(0, 32); }
  // Runs `args` ten times as ordinary commands; each must fail with `expected` in its error.
  void ten_commands_fail_with(const std::string& expected) {
    for (int i = 0; i < 10; ++i) {
      auto result = naos({"run", "echo", "--input", "again " + std::to_string(i)});
      EXPECT_EQ(result.exit_status, 2) << result.out;
      EXPECT_NE(result.err.find(expected), std::string::npos) << result.err;
    }
  }
  testing::TempDir dir_;
};

TEST_F(TamperTest, TheAuditKeyLivesOutsideDataInAPrivateFolder) {
  EXPECT_FALSE(fs::exists(root() / "data" / "audit.key"));
  struct stat folder {}, key {};
  ASSERT_EQ(::stat(evidence().c_str(), &folder), 0);
  ASSERT_EQ(::stat((evidence() / "audit.key").c_str(), &key), 0);
  EXPECT_EQ(folder.st_mode & 0777, 0700u);
  EXPECT_EQ(key.st_mode & 0777, 0600u);
  EXPECT_EQ(read_file(evidence() / "project"), fs::canonical(root()).string() + "\n");
  auto stored = store::Database::open(database());
  ASSERT_TRUE(stored);
  auto select = (*stored)->prepare("SELECT database_id FROM project_identity");
  ASSERT_TRUE(select && *select->step());
  EXPECT_EQ(select->column_text(0), database_id());
}

TEST_F(TamperTest, ADeletedDatabaseIsAnErrorNamingItBeforeAndAfterTenCommands) {
  std::string id = database_id();
  remove_database();
  std::string expected = "this project's database " + id + " is missing";
  auto verify = naos({"audit", "verify"});
  EXPECT_EQ(verify.exit_status, 2);
  EXPECT_NE(verify.err.find(expected), std::string::npos) << verify.err;
  ten_commands_fail_with(expected);
  EXPECT_NE(naos({"audit", "verify"}).err.find(expected), std::string::npos);
}

TEST_F(TamperTest, AnEmptiedDatabaseIsAnErrorBeforeAndAfterTenCommands) {
  std::string id = database_id();
  fs::resize_file(database(), 0);
  for (const char* suffix : {"-wal", "-shm"}) fs::remove(database().string() + suffix);
  std::string expected = "this project's database " + id + " is missing";
  EXPECT_NE(naos({"audit", "verify"}).err.find(expected), std::string::npos);
  ten_commands_fail_with(expected);
  EXPECT_NE(naos({"audit", "verify"}).err.find(expected), std::string::npos);
}

TEST_F(TamperTest, ADatabaseReplacedByAnotherProjectsIsAnError) {
  testing::TempDir other;
  write_file(other.path() / "nexus.config.yaml",
             "name: other\nagents:\n  echo:\n    source: " + agent_path("echo").string() + "\n");
  ASSERT_EQ(naos({"run", "echo"}, other.path()).exit_status, 0);
  remove_database();
  fs::copy_file(other.path() / "data" / "nexus.db", database());
  std::string expected = "not this project's database " + database_id() + ": it was replaced";
  EXPECT_NE(naos({"audit", "verify"}).err.find(expected), std::string::npos);
  ten_commands_fail_with(expected);
}

TEST_F(TamperTest, ADeletedKeyIsAnErrorAndNeverReplacedByANewOne) {
  fs::remove(evidence() / "audit.key");
  std::string expected = "the audit key " + (evidence() / "audit.key").string() + " is missing";
  EXPECT_NE(naos({"audit", "verify"}).err.find(expected), std::string::npos);
  ten_commands_fail_with(expected);
  EXPECT_FALSE(fs::exists(evidence() / "audit.key"));
  EXPECT_FALSE(fs::exists(root() / "data" / "audit.key"));
  EXPECT_NE(naos({"audit", "verify"}).err.find(expected), std::string::npos);
}

TEST_F(TamperTest, AcceptIsTheAuditedWayPastAMissingKey) {
  fs::remove(evidence() / "audit.key");
  auto no_reason = naos({"audit", "accept"});
  EXPECT_NE(no_reason.exit_status, 0);
  auto accepted = naos({"audit", "accept", "--reason", "key lost with the old laptop", "--json"});
  ASSERT_EQ(accepted.exit_status, 0) << accepted.err;
  EXPECT_TRUE(fs::exists(evidence() / "audit.key"));
  auto events = nlohmann::json::parse(naos({"audit", "--action", "audit.accepted", "--json"}).out);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["payload"]["reason"], "key lost with the old laptop");
  EXPECT_NE(events[0]["payload"]["accepted"].dump().find("a new audit key was made"), std::string::npos)
      << events[0].dump();
  EXPECT_EQ(naos({"run", "echo", "--input", "after"}).exit_status, 0);
}

TEST_F(TamperTest, AProjectFromBeforeEvidenceAdoptsItsKey) {
  // As naos left a project before evidence existed: the key in data/, no
  // identity in the database, no evidence folder.
  std::string key = read_file(evidence() / "audit.key");
  fs::rename(evidence() / "audit.key", root() / "data" / "audit.key");
  fs::remove_all(evidence());
  {
    auto stored = store::Database::open(database());
    ASSERT_TRUE(stored);
    ASSERT_TRUE((*stored)->exec("DELETE FROM project_identity"));
  }
  auto run = naos({"run", "echo", "--input", "adopted"});
  ASSERT_EQ(run.exit_status, 0) << run.err;
  EXPECT_FALSE(fs::exists(root() / "data" / "audit.key"));
  EXPECT_EQ(read_file(evidence() / "audit.key"), key);
  // The same key: the signatures made before the move still verify.
  auto verify = naos({"audit", "verify"});
  EXPECT_EQ(verify.exit_status, 0) << verify.err;
}

TEST_F(TamperTest, InitOfAFreshFolderRetiresTheEvidenceAnEarlierProjectLeftThere) {
  testing::TempDir parent;
  fs::path project = parent.path() / "p";
  ASSERT_EQ(naos({"init", project.string()}, parent.path()).exit_status, 0);
  ASSERT_EQ(naos({"audit", "verify"}, project).exit_status, 0);
  auto old_evidence = *governance::Evidence::folder_for(testing::state_dir(), project);
  std::string old_id = read_file(old_evidence / "database.id");
  fs::remove_all(project);
  auto again = naos({"init", project.string()}, parent.path());
  ASSERT_EQ(again.exit_status, 0) << again.err;
  EXPECT_NE(again.err.find("it was moved to"), std::string::npos) << again.err;
  EXPECT_NE(read_file(old_evidence / "database.id"), old_id);
  auto verify = naos({"audit", "verify"}, project);
  EXPECT_EQ(verify.exit_status, 0) << verify.err;
}

TEST_F(TamperTest, AMovedProjectIsToldWhereItsEvidenceIs) {
  testing::TempDir parent;
  fs::path moved = parent.path() / "moved";
  fs::copy(root(), moved, fs::copy_options::recursive);
  auto result = naos({"run", "echo"}, moved);
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_NE(result.err.find("its evidence is in " + evidence().string()), std::string::npos) << result.err;
}

}  // namespace
}  // namespace naos
