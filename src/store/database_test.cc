#include "store/database.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include "store/group_commit.h"
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

// Found by fuzz/audit_verify: a negative user_version indexed the
// migrations out of bounds.
TEST(Database, ANegativeSchemaVersionIsRefusedNotUsedAsAnIndex) {
  testing::TempDir dir;
  auto file = dir.path() / "nexus.db";
  {
    auto db = Database::open(file);
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->exec("PRAGMA user_version=-134217728"));
  }
  auto db = Database::open(file);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(db.error().message().find("schema version -134217728 is not one naos wrote"), std::string::npos)
      << db.error().to_string();
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

// The last connection to close checkpoints and deletes the WAL under an
// exclusive lock. A `naos` starting at that moment (a script polling
// `naos runs` while a saga starts) used to fail "database is locked" on its
// journal_mode pragma, which SQLite fails without calling the busy handler.
// `naos saga run` and a script polling `naos runs` on a new project failed
// "SQL failed (database is locked)" one time in a few dozen: the journal_mode
// pragma at open meets another process's exclusive lock without SQLite
// calling the busy handler. Without the retry, round 0 fails.
TEST(Database, ProcessesOpeningAndClosingOneFileAtOnceNeverFail) {
  // Processes, not threads: connections in one process share SQLite's
  // in-process lock state, which hides these races.
  constexpr int kProcesses = 4;
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    testing::TempDir dir;
    auto file = dir.path() / "data" / "nexus.db";  // new: the processes race to create it
    auto errors = dir.path() / "errors";
    std::vector<pid_t> children;
    for (int i = 0; i < kProcesses; ++i) {
      pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        for (int n = 0; n < 10; ++n) {
          // Writes, so that closing has a WAL to checkpoint; often the last connection.
          auto db = Database::open(file);
          Status wrote = db ? (*db)->exec("CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES (randomblob(4096))")
                            : Status(db.error());
          if (wrote) continue;
          testing::write_file(errors, wrote.error().to_string());
          _exit(1);
        }
        _exit(0);
      }
      children.push_back(pid);
    }
    int failed = 0;
    for (pid_t pid : children) {
      int status = 0;
      waitpid(pid, &status, 0);
      failed += WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
    }
    ASSERT_EQ(failed, 0) << "round " << round << ": "
                         << (std::filesystem::exists(errors) ? testing::read_file(errors) : "");
  }
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

// prepare() reuses statements (database.h): a reused one starts from its
// first row with no bindings left over, and one abandoned half way does not
// keep the snapshot it was reading (a writer's checkpoint would wait on it).
TEST(Database, AReusedStatementStartsAfreshWithNoBindingsLeftOver) {
  testing::TempDir dir;
  auto db = std::move(*Database::open(dir.path() / "nexus.db"));
  ASSERT_TRUE(db->exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1), (2), (3);"));
  const std::string sql = "SELECT x FROM t WHERE x >= ?1 OR ?1 IS NULL ORDER BY x";
  {
    auto stmt = db->prepare(sql);
    ASSERT_TRUE(stmt);
    stmt->bind(1, int64_t{2});
    ASSERT_TRUE(*stmt->step());
    EXPECT_EQ(stmt->column_int64(0), 2);  // abandoned after one row of two
  }
  auto again = db->prepare(sql);
  ASSERT_TRUE(again);
  ASSERT_TRUE(*again->step());
  EXPECT_EQ(again->column_int64(0), 1) << "the binding of the last use was left in place";
  // Two uses at once of the same text are two statements.
  auto twin = db->prepare(sql);
  ASSERT_TRUE(twin);
  ASSERT_TRUE(*twin->step());
  EXPECT_EQ(twin->column_int64(0), 1);
  ASSERT_TRUE(*again->step());
  EXPECT_EQ(again->column_int64(0), 2);
}

TEST(Database, AnAbandonedReusableStatementDoesNotHoldItsSnapshot) {
  testing::TempDir dir;
  auto file = dir.path() / "nexus.db";
  auto reader = std::move(*Database::open(file));
  auto writer = std::move(*Database::open(file));
  ASSERT_TRUE(writer->exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1), (2);"));
  {
    auto stmt = reader->prepare("SELECT x FROM t ORDER BY x");
    ASSERT_TRUE(stmt);
    ASSERT_TRUE(*stmt->step());  // a read transaction is open now
  }
  ASSERT_TRUE(writer->exec("INSERT INTO t VALUES (3)"));
  // A snapshot still held would see two rows, and block a TRUNCATE checkpoint.
  {
    auto count = reader->prepare("SELECT count(*) FROM t");
    ASSERT_TRUE(count && *count->step());
    EXPECT_EQ(count->column_int64(0), 3);
  }
  auto checkpoint = writer->prepare("PRAGMA wal_checkpoint(TRUNCATE)");
  ASSERT_TRUE(checkpoint && *checkpoint->step());
  EXPECT_EQ(checkpoint->column_int64(0), 0) << "the checkpoint was blocked by a reader";
}

TEST(Database, ManyDistinctStatementsStillWork) {
  testing::TempDir dir;
  auto db = std::move(*Database::open(dir.path() / "nexus.db"));
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < static_cast<int>(Database::kCachedStatements) * 2; ++i) {
      auto stmt = db->prepare("SELECT " + std::to_string(i));
      ASSERT_TRUE(stmt);
      ASSERT_TRUE(*stmt->step());
      EXPECT_EQ(stmt->column_int64(0), i);
    }
  }
}

// GroupCommit: a failing write is undone alone, by its savepoint (kSavepoint)
// or by SQLite's statement rollback (kItself), and the rest of its batch commits.
TEST(GroupCommit, AFailingWriteIsUndoneAloneAndItsBatchCommits) {
  testing::TempDir dir;
  auto file = dir.path() / "nexus.db";
  auto writer = std::move(*GroupCommit::open(file));
  ASSERT_TRUE(writer->write([](Database& db) { return db.exec("CREATE TABLE t(x INTEGER PRIMARY KEY)"); }));
  auto insert = [](int64_t x) {
    return [x](Database& db) -> Status {
      auto stmt = db.prepare("INSERT INTO t VALUES (?1)");
      if (!stmt) return stmt.error();
      stmt->bind(1, x);
      return stmt->run();
    };
  };
  auto two_then_fail = [](Database& db) -> Status {  // changes, then fails: needs its savepoint
    NAOS_TRY(db.exec("INSERT INTO t VALUES (100)"));
    return db.exec("INSERT INTO t VALUES (1)");  // a duplicate
  };
  std::vector<std::future<Status>> done;
  done.push_back(writer->submit(insert(1), GroupCommit::Undo::kItself));
  done.push_back(writer->submit(insert(1), GroupCommit::Undo::kItself));  // fails: duplicate
  done.push_back(writer->submit(two_then_fail));
  done.push_back(writer->submit(insert(2), GroupCommit::Undo::kItself));
  std::vector<bool> ok;
  for (auto& d : done) ok.push_back(bool(d.get()));
  EXPECT_EQ(ok, (std::vector<bool>{true, false, false, true}));
  writer.reset();
  auto db = std::move(*Database::open(file));
  auto rows = db->prepare("SELECT group_concat(x) FROM (SELECT x FROM t ORDER BY x)");
  ASSERT_TRUE(rows && *rows->step());
  EXPECT_EQ(rows->column_text(0), "1,2");
}

// A Statement or Transaction shares the connection with its Database, so
// either may be used and destroyed after the Database is gone (the sanitizer
// build once caught a Statement recycling itself into a freed Database).
TEST(Database, AStatementAndATransactionOutliveTheirDatabase) {
  testing::TempDir dir;
  std::optional<Statement> statement;
  std::optional<Transaction> transaction;
  {
    auto db = Database::open(dir.path() / "nexus.db");
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->exec("CREATE TABLE t(x INTEGER)"));
    auto begun = (*db)->begin();
    ASSERT_TRUE(begun);
    transaction.emplace(std::move(*begun));
    ASSERT_TRUE((*db)->exec("INSERT INTO t VALUES (7)"));
    auto prepared = (*db)->prepare("SELECT x FROM t");
    ASSERT_TRUE(prepared);
    statement.emplace(std::move(*prepared));
  }
  auto row = statement->step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(statement->column_int64(0), 7);
  statement.reset();
  ASSERT_TRUE(transaction->commit());
  transaction.reset();
  auto reopened = Database::open(dir.path() / "nexus.db");
  ASSERT_TRUE(reopened);
  auto count = (*reopened)->prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count && *count->step());
  EXPECT_EQ(count->column_int64(0), 1) << "the transaction kept after its Database committed";
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

namespace naos::store {
namespace {

TEST(DatabaseLocks, AWriterWaitsForTheLockInsteadOfFailing) {
  testing::TempDir dir;
  auto file = dir.path() / "nexus.db";
  auto holder = Database::open(file);
  auto waiter = Database::open(file);
  ASSERT_TRUE(holder && waiter);
  auto before = lock_wait_stats();
  auto held = (*holder)->begin();
  ASSERT_TRUE(held);
  ASSERT_TRUE((*holder)->exec("INSERT INTO kv(agent, key, value, updated_ms) VALUES ('a', 'k', 'held', 1)"));
  std::promise<void> started;
  auto written = std::async(std::launch::async, [&] {
    started.set_value();
    return (*waiter)->exec("INSERT INTO kv(agent, key, value, updated_ms) VALUES ('a', 'w', 'waited', 2)");
  });
  started.get_future().wait();
  // The waiter is queued behind the open write transaction; nothing it can
  // do ends before the holder commits.
  while (lock_wait_stats().waits == before.waits) std::this_thread::yield();
  ASSERT_TRUE(held->commit());
  auto status = written.get();
  EXPECT_TRUE(status) << status.error().to_string();
  auto after = lock_wait_stats();
  EXPECT_GT(after.waits, before.waits);
  EXPECT_GT(after.retries, before.retries);
  EXPECT_GE(Database::kLockWait, std::chrono::minutes(10));
}

TEST(DatabaseLocks, AReadTransactionSeesOneSnapshotWhileAnotherConnectionWrites) {
  testing::TempDir dir;
  auto file = dir.path() / "nexus.db";
  auto reader = Database::open(file);
  auto writer = Database::open(file);
  ASSERT_TRUE(reader && writer);
  ASSERT_TRUE((*writer)->exec("INSERT INTO kv(agent, key, value, updated_ms) VALUES ('a', '1', 'x', 1)"));
  auto count = [&] {
    auto stmt = (*reader)->prepare("SELECT count(*) FROM kv");
    EXPECT_TRUE(stmt && *stmt->step());
    return stmt->column_int64(0);
  };
  {
    auto snapshot = (*reader)->read();
    ASSERT_TRUE(snapshot) << snapshot.error().to_string();
    // Committed after read() returned: not in the snapshot, even for a
    // statement prepared and run only now.
    ASSERT_TRUE((*writer)->exec("INSERT INTO kv(agent, key, value, updated_ms) VALUES ('a', '2', 'y', 2)"));
    EXPECT_EQ(count(), 1);
    EXPECT_TRUE((*reader)->in_transaction());
  }
  EXPECT_FALSE((*reader)->in_transaction());
  EXPECT_EQ(count(), 2);
}

}  // namespace
}  // namespace naos::store
