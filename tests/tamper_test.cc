// Evidence cannot be erased by ordinary use (governance/evidence.h,
// governance/witness.h), through the real `naos` binary: each kind of
// tampering with data/ is detected, and stays detected after ten further
// ordinary commands, until an operator runs `naos audit accept`.
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "governance/audit_log.h"
#include "governance/evidence.h"
#include "store/database.h"
#include "test_support.h"
#include "test_env.h"

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
  auto verify = naos({"audit", "verify"});
  EXPECT_EQ(verify.exit_status, 0) << verify.err;
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

// ---- the log against its witness ----

class WitnessedLogTest : public TamperTest {
 protected:
  void SetUp() override {
    TamperTest::SetUp();
    for (int i = 0; i < 4; ++i) ASSERT_EQ(naos({"run", "echo", "--input", "x" + std::to_string(i)}).exit_status, 0);
  }
  std::unique_ptr<store::Database> open_database() { return std::move(*store::Database::open(database())); }
  int64_t last_seq() {
    auto db = open_database();
    auto select = *db->prepare("SELECT max(seq) FROM audit_events");
    EXPECT_TRUE(*select.step());
    return select.column_int64(0);
  }
  // What an attacker without the key can do: edit an event, then recompute
  // every hash and link after it so the chain holds again.
  void rewrite_event(int64_t seq) {
    auto db = open_database();
    auto events = governance::query_audit(*db, {});
    ASSERT_TRUE(events);
    std::string prev = governance::kGenesisHash;
    for (auto& e : *events) {
      if (e.seq == seq) e.payload = R"({"detail":"nothing happened here"})";
      if (e.seq >= seq) {
        e.prev_hash = prev;
        e.hash = governance::compute_hash(e);
        auto update = *db->prepare("UPDATE audit_events SET payload = ?1, prev_hash = ?2, hash = ?3 WHERE seq = ?4");
        update.bind(1, e.payload).bind(2, e.prev_hash).bind(3, e.hash).bind(4, e.seq);
        ASSERT_TRUE(update.run());
      }
      prev = e.hash;
    }
  }
  testing::CommandResult verify() { return naos({"audit", "verify"}); }
  void expect_broken(const testing::CommandResult& result, const std::string& expected) {
    EXPECT_EQ(result.exit_status, 1) << result.out << result.err;
    EXPECT_NE(result.err.find("VERIFICATION_FAILED (401)"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(expected), std::string::npos) << result.err;
  }
  void ten_ordinary_commands() {
    for (int i = 0; i < 10; ++i) {
      auto result = naos({"run", "echo", "--input", "later " + std::to_string(i)});
      ASSERT_EQ(result.exit_status, 0) << result.err;
    }
  }
};

TEST_F(WitnessedLogTest, AnIntactLogVerifiesAgainstItsWitness) {
  auto result = verify();
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_NE(result.out.find("witnessed to #" + std::to_string(last_seq())), std::string::npos) << result.out;
}

TEST_F(WitnessedLogTest, ADeletedTailIsDetectedBeforeAndAfterTenCommands) {
  int64_t end = last_seq();
  {
    auto db = open_database();
    ASSERT_TRUE(db->exec("DELETE FROM audit_events WHERE seq > 4"));
  }
  expect_broken(verify(), "events after #4 were removed (the witness recorded #" + std::to_string(end) + ")");
  ten_ordinary_commands();
  expect_broken(verify(), "is not the one the witness recorded");
}

TEST_F(WitnessedLogTest, ARewriteWithRecomputedHashesIsDetectedBeforeAndAfterTenCommands) {
  rewrite_event(3);
  expect_broken(verify(), "");
  ten_ordinary_commands();
  expect_broken(verify(), "is not the one the witness recorded");
  // Without the witness the rewritten log would pass: the head is re-signed.
  auto db = open_database();
  auto key = governance::AuditKey::load(evidence() / "audit.key");
  ASSERT_TRUE(key);
  auto alone = governance::verify_audit(*db, *key);
  ASSERT_TRUE(alone);
  EXPECT_TRUE(alone->intact) << alone->problem;
}

TEST_F(WitnessedLogTest, AcceptMakesTheLogTheNewBaselineAndIsAudited) {
  {
    auto db = open_database();
    ASSERT_TRUE(db->exec("DELETE FROM audit_events WHERE seq > 4"));
  }
  ten_ordinary_commands();
  expect_broken(verify(), "is not the one the witness recorded");
  auto accepted = naos({"audit", "accept", "--reason", "restored a backup", "--json"});
  ASSERT_EQ(accepted.exit_status, 0) << accepted.err;
  EXPECT_NE(nlohmann::json::parse(accepted.out)["problem"].get<std::string>().find("witness recorded"),
            std::string::npos)
      << accepted.out;
  auto good = verify();
  EXPECT_EQ(good.exit_status, 0) << good.err;
  auto events = nlohmann::json::parse(naos({"audit", "--action", "audit.accepted", "--json"}).out);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["payload"]["reason"], "restored a backup");
  EXPECT_EQ(events[0]["actor"], "cli");
  // Still watched: tampering after the baseline is caught as before, and so
  // is an edit of what was accepted.
  ten_ordinary_commands();
  EXPECT_EQ(verify().exit_status, 0);
  rewrite_event(last_seq() - 2);
  ten_ordinary_commands();
  expect_broken(verify(), "is not the one the witness recorded");
}

TEST_F(WitnessedLogTest, AnEditOfTheAcceptedPartIsDetected) {
  {
    auto db = open_database();
    ASSERT_TRUE(db->exec("UPDATE audit_events SET agent = 'someone' WHERE seq = 2"));  // links broken
  }
  expect_broken(verify(), "audit chain broken at event #2");
  ASSERT_EQ(naos({"audit", "accept", "--reason", "known bad row"}).exit_status, 0);
  EXPECT_EQ(verify().exit_status, 0);
  {
    auto db = open_database();
    ASSERT_TRUE(db->exec("UPDATE audit_events SET agent = 'someone else' WHERE seq = 2"));
  }
  ten_ordinary_commands();
  expect_broken(verify(), "changed after it was accepted");
}

TEST_F(WitnessedLogTest, HeadPrintsTheSignedHeadForCheckingWithoutNaos) {
  auto result = naos({"audit", "head", "--json"});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  auto head = nlohmann::json::parse(result.out);
  EXPECT_EQ(head["seq"], last_seq());
  EXPECT_EQ(head["database_id"], database_id());
  EXPECT_EQ(head["signed_message"], governance::signed_message("head", head["seq"], head["hash"].get<std::string>()));
  // Checked with libsodium alone, from the printed public key.
  ASSERT_GE(sodium_init(), 0);
  std::string message = head["signed_message"], signature_hex = head["signature"], key_hex = head["public_key"];
  unsigned char signature[crypto_sign_BYTES], key[crypto_sign_PUBLICKEYBYTES];
  ASSERT_EQ(sodium_hex2bin(signature, sizeof signature, signature_hex.data(), signature_hex.size(), nullptr, nullptr,
                           nullptr),
            0);
  ASSERT_EQ(sodium_hex2bin(key, sizeof key, key_hex.data(), key_hex.size(), nullptr, nullptr, nullptr), 0);
  EXPECT_EQ(crypto_sign_verify_detached(signature, reinterpret_cast<const unsigned char*>(message.data()),
                                        message.size(), key),
            0);
  auto text = naos({"audit", "head"});
  EXPECT_NE(text.out.find("head:        #" + std::to_string(last_seq())), std::string::npos) << text.out;
}

}  // namespace
}  // namespace naos
