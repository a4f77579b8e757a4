#include "store/database.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "store/kv_store.h"
#include "store/schema.h"
#include "test_support.h"

namespace naos::store {
namespace {

TEST(Database, NewDatabaseIsMigratedToTheNewestSchema) {
  testing::TempDir dir;
  auto db = Database::open(dir.path() / "data" / "nexus.db");
  ASSERT_TRUE(db) << db.error().to_string();
  EXPECT_EQ((*db)->schema_version(), static_cast<int>(migrations().size()));
  auto stmt = (*db)->prepare("PRAGMA journal_mode");
  ASSERT_TRUE(stmt);
  ASSERT_TRUE(*stmt->step());
  EXPECT_EQ(stmt->column_text(0), "wal");
}

TEST(Database, DatabaseFromANewerNaosIsRefusedWithAClearMessage) {
  testing::TempDir dir;
  auto file = dir.path() / "nexus.db";
  {
    auto db = Database::open(file);
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->exec("PRAGMA user_version=999"));
  }
  auto db = Database::open(file);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(db.error().message().find("newer than this naos supports"), std::string::npos);
}

TEST(Database, ManyConnectionsOpeningOneNewFileAtOnceAllSucceed) {
  // Two processes (a daemon and a command) may open a new project together:
  // the schema version is read under the write lock, so no migration runs twice.
  testing::TempDir dir;
  auto file = dir.path() / "nexus.db";
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  std::vector<std::string> errors(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto db = Database::open(file);
      if (db) {
        ++opened;
      } else {
        errors[i] = db.error().to_string();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(opened.load(), 8);
  auto db = Database::open(file);
  ASSERT_TRUE(db);
  EXPECT_EQ((*db)->schema_version(), static_cast<int>(migrations().size()));
}

TEST(Database, ReopeningAppliesNoMigrationTwice) {
  testing::TempDir dir;
  auto file = dir.path() / "nexus.db";
  ASSERT_TRUE(Database::open(file));
  auto again = Database::open(file);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ((*again)->schema_version(), static_cast<int>(migrations().size()));
}

TEST(Database, TransactionRollsBackUnlessCommitted) {
  testing::TempDir dir;
  auto db = std::move(*Database::open(dir.path() / "nexus.db"));
  KvStore kv(*db);
  {
    auto transaction = db->begin();
    ASSERT_TRUE(transaction);
    ASSERT_TRUE(kv.set("a", "k", "lost", 1));
  }
  EXPECT_FALSE(kv.get("a", "k")->has_value());
}

TEST(Database, FileThatIsNotADatabaseIsRefused) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "nexus.db", std::string(8192, 'x'));
  auto db = Database::open(dir.path() / "nexus.db");
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code(), Code::kFailedPrecondition) << db.error().to_string();
}

TEST(KvStore, ValuesRoundTripIncludingEmptyAndBinary) {
  testing::TempDir dir;
  auto db = std::move(*Database::open(dir.path() / "nexus.db"));
  KvStore kv(*db);
  std::string binary("a\0b\xff", 4);
  ASSERT_TRUE(kv.set("agent", "bin", binary, 1));
  ASSERT_TRUE(kv.set("agent", "empty", "", 1));
  EXPECT_EQ(**kv.get("agent", "bin"), binary);
  EXPECT_EQ(**kv.get("agent", "empty"), "");
  EXPECT_FALSE(kv.get("agent", "missing")->has_value());
}

TEST(KvStore, EachAgentHasItsOwnNamespace) {
  testing::TempDir dir;
  auto db = std::move(*Database::open(dir.path() / "nexus.db"));
  KvStore kv(*db);
  ASSERT_TRUE(kv.set("alice", "key", "alice's", 1));
  ASSERT_TRUE(kv.set("bob", "key", "bob's", 1));
  EXPECT_EQ(**kv.get("alice", "key"), "alice's");
  EXPECT_EQ(**kv.get("bob", "key"), "bob's");
}

}  // namespace
}  // namespace naos::store
