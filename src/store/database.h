// Database — one SQLite connection, and the only code in naos that includes
// sqlite3.h (style rule 1). Higher layers keep their SQL in store/ classes
// (kv_store.h, registry.h, audit_table.h) built on Statement and Transaction.
//
// A Database is opened on a file (data/nexus.db) in WAL mode with
// synchronous=FULL, so a committed write has reached the disk: nothing is
// reported done before it is durable. Migrations (schema.cc) are applied on
// open, in order, each in its own transaction; a database written by a newer
// naos (user_version above the newest migration here) is refused.
//
// Threading: a connection is used by one thread at a time. A class that
// shares one across threads holds a mutex around each use; a component with a
// thread of its own (the audit writer) opens its own connection. Many
// connections, in one process or several, may use the same file: SQLite's
// locking serializes writers.
//
// Many processes, one file (docs/architecture.md "Storage"): any number of
// naos processes may write one project at once, and none may fail with
// "database is locked". So:
//   - every write transaction is BEGIN IMMEDIATE (begin()): it takes the
//     write lock first, waiting for it, instead of reading under a snapshot
//     and then upgrading, which SQLite refuses at once (SQLITE_BUSY_SNAPSHOT,
//     no busy wait) when another process committed in between;
//   - a writer waits for the lock up to kLockWait, as long as any run may
//     take, not a few seconds; write transactions are kept short (no agent
//     code, no network inside one), so the wait is the queue of other short
//     writers, and lock_wait_stats() measures it;
//   - a reader that needs one consistent view of several tables or
//     statements (audit verify) holds a ReadTransaction (read()).
//
// Prepared statements are reused: prepare() takes an idle statement with the
// same SQL text when there is one, and a Statement going out of scope is
// reset and kept for the next prepare() (up to kCachedStatements of them).
//
// Ownership: Statements and Transactions share the connection with the
// Database they came from (std::shared_ptr<Connection>), so any of them may be
// destroyed after the Database without touching freed memory; the
// connection closes when the last of them is gone.
// Parsing SQL was a quarter of the CPU time of a durable workflow step
// (bench/README.md), and the hot statements are few and fixed.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace naos::store {

// The SQLite connection and its cache of idle statements (database.cc).
// Shared by the Database that opened it and by every Statement and
// Transaction made from it, so none of them can outlive it: a Statement kept
// after its Database is gone still resets into a live cache and finalizes
// before the connection closes. It closes when the last of them goes.
class Connection;

// A prepared statement. Parameters are numbered from 1 (`?1`), columns from 0.
class Statement {
 public:
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, int64_t number);
  Statement& bind_double(int index, double number);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);

  // Runs one step: true when a row is ready to read, false when done.
  Result<bool> step();
  // Runs to completion, ignoring rows.
  Status run();
  // Resets for another execution with new bindings.
  void reset();

  std::string column_text(int index) const;
  int64_t column_int64(int index) const;
  double column_double(int index) const;
  bool column_is_null(int index) const;

  // For code that reads tables it does not know (table_dump.h).
  enum class Kind { kNull, kInteger, kReal, kText, kBlob };
  int column_count() const;
  std::string column_name(int index) const;
  Kind column_kind(int index) const;

 private:
  friend class Connection;
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const;
  };
  Statement(std::shared_ptr<Connection> connection, std::string sql, sqlite3_stmt* stmt);

  void recycle();

  std::shared_ptr<Connection> connection_;
  std::string sql_;  // as given to prepare(): the cache's key
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
};

// BEGIN IMMEDIATE on creation (the write lock is taken before anything is
// read); ROLLBACK on destruction unless commit() ran. Shares the connection,
// like Statement, so it cannot outlive it.
class Transaction {
 public:
  Transaction(Transaction&& other) noexcept = default;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  // COMMIT; when it returns ok the transaction is durable.
  Status commit();

 private:
  friend class Database;
  explicit Transaction(std::shared_ptr<Connection> connection);
  std::shared_ptr<Connection> connection_;  // null once committed or moved from
};

// A read transaction: every statement run while it lives sees one snapshot of
// the database (taken at its first read), whatever other connections commit
// meanwhile. Never write inside one: a write would upgrade it, which fails
// at once when another connection committed since the snapshot. Ends
// (COMMIT, nothing to write) on destruction.
class ReadTransaction {
 public:
  ReadTransaction(ReadTransaction&& other) noexcept = default;
  ReadTransaction& operator=(ReadTransaction&&) = delete;
  ~ReadTransaction();

 private:
  friend class Database;
  explicit ReadTransaction(std::shared_ptr<Connection> connection);
  std::shared_ptr<Connection> connection_;  // null once moved from
};

// How long and how often this process's connections waited for SQLite's
// locks (the busy handler), for --verbose and the benchmarks.
struct LockWaitStats {
  int64_t waits = 0;    // statements that found the lock held and waited
  int64_t retries = 0;  // times the busy handler slept and tried again
  int64_t waited_us = 0;
  int64_t longest_us = 0;  // the longest single wait
};
LockWaitStats lock_wait_stats();

class Database {
 public:
  // How long a connection waits for a lock another connection holds before
  // the statement fails with "database is locked". As long as a run may take:
  // the holders are short write transactions, so a long wait is only a long
  // queue, and failing it would turn a slow moment into a lost write (and a
  // cost charged for a run its caller is told did not run).
  static constexpr std::chrono::milliseconds kLockWait = std::chrono::minutes(10);

  // Opens (creating if needed) the database file and migrates it.
  // Errors: kFailedPrecondition for a database from a newer naos.
  static Result<std::unique_ptr<Database>> open(const std::filesystem::path& file);

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  static constexpr size_t kCachedStatements = 64;

  // Runs `sql`, which may hold several statements; parsed every time.
  Status exec(std::string_view sql);
  // One statement, from the cache when one with this text is idle.
  Result<Statement> prepare(std::string_view sql);
  // prepare() and run to completion: for fixed statements run often
  // (BEGIN, COMMIT, SAVEPOINT), which exec() would parse each time.
  Status run(std::string_view sql);
  // A write transaction (BEGIN IMMEDIATE).
  Result<Transaction> begin();
  // A read transaction: one snapshot for every statement until it ends.
  Result<ReadTransaction> read();
  // Whether a transaction is open (an I/O error or a full disk may have
  // rolled back the one that was).
  bool in_transaction() const;

  int schema_version();
  const std::filesystem::path& file() const;

 private:
  explicit Database(std::shared_ptr<Connection> connection);
  Status migrate();

  std::shared_ptr<Connection> connection_;
};

}  // namespace naos::store
