#include "store/database.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iterator>
#include <thread>

#include "store/schema.h"

namespace naos::store {

// The connection behind a Database and everything prepared from it. Held by
// shared_ptr (database.h, "Ownership"); its destructor finalizes the idle
// statements, then closes the connection.
class Connection {
 public:
  Connection(std::filesystem::path file, sqlite3* db) : file_(std::move(file)), db_(db) {}
  ~Connection() {
    for (auto& [sql, stmt] : idle_) sqlite3_finalize(stmt);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One statement, from the cache when one with this text is idle; `self`
  // is this connection's owner, shared with the statement.
  static Result<Statement> prepare(const std::shared_ptr<Connection>& self, std::string_view sql);
  static Status run(const std::shared_ptr<Connection>& self, std::string_view sql);
  // Resets `stmt` and keeps it for reuse under `sql`.
  void recycle(std::string sql, sqlite3_stmt* stmt);
  Error last_error(std::string_view what) const;
  // SQLite's busy handler for this connection (`self` is the Connection).
  static int wait_for_lock(void* self, int tries);

  sqlite3* raw() const { return db_.get(); }
  const std::filesystem::path& file() const { return file_; }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::filesystem::path file_;
  std::unique_ptr<sqlite3, Closer> db_;
  // Idle prepared statements by SQL text. Its own mutex: a Statement may be
  // destroyed outside the lock its owner holds around the connection.
  std::mutex cache_mutex_;
  std::unordered_map<std::string, sqlite3_stmt*> idle_;
  // When the current lock wait began (the busy handler's first call for it).
  std::chrono::steady_clock::time_point wait_started_;
};

void Statement::Finalizer::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

Statement::Statement(std::shared_ptr<Connection> connection, std::string sql, sqlite3_stmt* stmt)
    : connection_(std::move(connection)), sql_(std::move(sql)), stmt_(stmt) {}

Statement::~Statement() { recycle(); }

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    recycle();
    connection_ = std::move(other.connection_);
    sql_ = std::move(other.sql_);
    stmt_ = std::move(other.stmt_);
  }
  return *this;
}

void Statement::recycle() {
  if (stmt_) connection_->recycle(std::move(sql_), stmt_.release());
}

Database::Database(std::shared_ptr<Connection> connection) : connection_(std::move(connection)) {}

Database::~Database() = default;

const std::filesystem::path& Database::file() const { return connection_->file(); }

void Connection::recycle(std::string sql, sqlite3_stmt* stmt) {
  // A statement stopped half way holds its read snapshot until it is reset.
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  sqlite3_stmt* dropped = stmt;
  {
    std::lock_guard lock(cache_mutex_);
    if (!idle_.contains(sql)) {
      if (idle_.size() >= Database::kCachedStatements) {
        // Make room: a statement in steady use is back soon, one-off queries are not.
        dropped = idle_.begin()->second;
        idle_.erase(idle_.begin());
      } else {
        dropped = nullptr;
      }
      idle_.emplace(std::move(sql), stmt);
      if (dropped == nullptr) return;
    }
  }
  sqlite3_finalize(dropped);  // an idle twin was cached already, or this one made room
}

Error Connection::last_error(std::string_view what) const {
  int code = sqlite3_errcode(db_.get());
  Code naos_code = Code::kInternal;
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_FULL || code == SQLITE_IOERR) {
    naos_code = Code::kUnavailable;
  } else if (code == SQLITE_CONSTRAINT) {
    naos_code = Code::kAlreadyExists;
  } else if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
    naos_code = Code::kFailedPrecondition;
  }
  return Error(naos_code, std::string(what) + ": " + sqlite3_errmsg(db_.get()), file_.string());
}

namespace {

// This process's lock waits, over all its connections (lock_wait_stats()).
std::atomic<int64_t> total_waits{0};
std::atomic<int64_t> total_retries{0};
std::atomic<int64_t> total_waited_us{0};
std::atomic<int64_t> longest_wait_us{0};

}  // namespace

LockWaitStats lock_wait_stats() {
  return {total_waits.load(), total_retries.load(), total_waited_us.load(), longest_wait_us.load()};
}

// SQLite's busy handler: called with the number of earlier calls for this
// lock; returns 0 to give up (SQLITE_BUSY, "database is locked"). The lock
// is usually held by another writer for well under a millisecond (one short
// transaction and its fsync), so a writer that slept 10 ms, as
// sqlite3_busy_timeout does, came back long after the lock was free and put
// that delay on every step waiting for its batch. Short sleeps instead,
// growing to 2 ms, until kLockWait has passed.
int Connection::wait_for_lock(void* self, int tries) {
  auto& connection = *static_cast<Connection*>(self);
  static constexpr int64_t kSleepsUs[] = {20, 50, 100, 200, 500, 1000};
  constexpr int kSteps = static_cast<int>(std::size(kSleepsUs));
  constexpr int64_t kLongestSleepUs = 2000;
  auto now = std::chrono::steady_clock::now();
  if (tries == 0) {
    connection.wait_started_ = now;
    total_waits.fetch_add(1, std::memory_order_relaxed);
  }
  auto waited = std::chrono::duration_cast<std::chrono::microseconds>(now - connection.wait_started_).count();
  int64_t longest = longest_wait_us.load(std::memory_order_relaxed);
  while (waited > longest && !longest_wait_us.compare_exchange_weak(longest, waited)) {
  }
  if (waited >= std::chrono::duration_cast<std::chrono::microseconds>(Database::kLockWait).count()) return 0;
  int64_t sleep_us = tries < kSteps ? kSleepsUs[tries] : kLongestSleepUs;
  total_retries.fetch_add(1, std::memory_order_relaxed);
  total_waited_us.fetch_add(sleep_us, std::memory_order_relaxed);
  std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  return 1;
}

Result<std::unique_ptr<Database>> Database::open(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) return Error(Code::kUnavailable, "cannot create folder: " + ec.message(), file.parent_path().string());
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  auto connection = std::make_shared<Connection>(file, raw);
  if (rc != SQLITE_OK) return connection->last_error("cannot open database");
  sqlite3_busy_handler(raw, &Connection::wait_for_lock, connection.get());
  std::unique_ptr<Database> db(new Database(std::move(connection)));
  // Another process switching a new file to WAL (or checkpointing the WAL
  // as the last connection closes) holds an exclusive lock, and a
  // journal_mode pragma meanwhile fails SQLITE_BUSY without SQLite calling
  // the busy handler: "database is locked" from two `naos` started at once
  // on a new project. Waited out like any lock.
  auto started = std::chrono::steady_clock::now();
  while (true) {
    Status set = db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
    if (set) break;
    bool busy = sqlite3_errcode(raw) == SQLITE_BUSY || sqlite3_errcode(raw) == SQLITE_LOCKED;
    if (!busy || std::chrono::steady_clock::now() - started > kLockWait) return set.error();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  NAOS_TRY(db->migrate());
  return db;
}

Status Database::exec(std::string_view sql) {
  char* message = nullptr;
  std::string text(sql);
  if (sqlite3_exec(connection_->raw(), text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string what = message ? message : "unknown error";
    sqlite3_free(message);
    return connection_->last_error("SQL failed (" + what + ")");
  }
  return ok();
}

Result<Statement> Connection::prepare(const std::shared_ptr<Connection>& self, std::string_view sql) {
  {
    std::lock_guard lock(self->cache_mutex_);
    if (auto found = self->idle_.find(std::string(sql)); found != self->idle_.end()) {
      sqlite3_stmt* cached = found->second;
      self->idle_.erase(found);
      return Statement(self, std::string(sql), cached);
    }
  }
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(self->raw(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK) {
    return self->last_error("cannot prepare SQL");
  }
  return Statement(self, std::string(sql), raw);
}

Status Connection::run(const std::shared_ptr<Connection>& self, std::string_view sql) {
  NAOS_ASSIGN_OR_RETURN(Statement stmt, prepare(self, sql));
  return stmt.run();
}

Result<Statement> Database::prepare(std::string_view sql) { return Connection::prepare(connection_, sql); }

Status Database::run(std::string_view sql) { return Connection::run(connection_, sql); }

bool Database::in_transaction() const { return sqlite3_get_autocommit(connection_->raw()) == 0; }

Result<Transaction> Database::begin() {
  NAOS_TRY(run("BEGIN IMMEDIATE"));
  return Transaction(connection_);
}

Result<ReadTransaction> Database::read() {
  // BEGIN DEFERRED takes no snapshot; the first read does. Take it now, so
  // the snapshot is the state when read() returned.
  NAOS_TRY(run("BEGIN DEFERRED"));
  ReadTransaction transaction(connection_);
  NAOS_ASSIGN_OR_RETURN(Statement first, prepare("SELECT count(*) FROM sqlite_schema"));
  NAOS_TRY(first.run());
  return transaction;
}

int Database::schema_version() {
  auto stmt = prepare("PRAGMA user_version");
  if (!stmt) return -1;
  auto row = stmt->step();
  return row && *row ? static_cast<int>(stmt->column_int64(0)) : -1;
}

Status Database::migrate() {
  auto all = migrations();
  int newest = static_cast<int>(all.size());
  int version = schema_version();
  // user_version is any 32-bit integer a file may hold: below zero (or
  // unreadable, -1) it indexes no migration.
  auto foreign = [&](int found) {
    return Error(Code::kFailedPrecondition,
                 "database schema version " + std::to_string(found) + " is not one naos wrote (damaged or edited)",
                 file().string());
  };
  if (version < 0) return foreign(version);
  if (version > newest) {
    return Error(Code::kFailedPrecondition,
                 "database schema version " + std::to_string(version) + " is newer than this naos supports (" +
                     std::to_string(newest) + "); upgrade naos",
                 file().string());
  }
  while (version < newest) {
    // Read the version again under the write lock: another process opening
    // the same new database may have applied this migration meanwhile.
    NAOS_ASSIGN_OR_RETURN(Transaction transaction, begin());
    version = schema_version();
    if (version < 0) return foreign(version);
    if (version >= newest) break;  // the transaction rolls back; nothing was written
    NAOS_TRY(exec(all[version]));
    NAOS_TRY(exec("PRAGMA user_version=" + std::to_string(version + 1)));
    NAOS_TRY(transaction.commit());
    ++version;
  }
  return ok();
}

ReadTransaction::ReadTransaction(std::shared_ptr<Connection> connection) : connection_(std::move(connection)) {}

ReadTransaction::~ReadTransaction() {
  if (connection_ != nullptr) Connection::run(connection_, "COMMIT").ignore_error();
}

Transaction::Transaction(std::shared_ptr<Connection> connection) : connection_(std::move(connection)) {}

Transaction::~Transaction() {
  if (connection_ != nullptr) Connection::run(connection_, "ROLLBACK").ignore_error();
}

Status Transaction::commit() {
  std::shared_ptr<Connection> connection = std::move(connection_);
  connection_ = nullptr;
  return Connection::run(connection, "COMMIT");
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_double(int index, double number) {
  sqlite3_bind_double(stmt_.get(), index, number);
  return *this;
}

Statement& Statement::bind(int index, int64_t number) {
  sqlite3_bind_int64(stmt_.get(), index, number);
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  // An empty value still binds a zero-length blob, not NULL.
  sqlite3_bind_blob(stmt_.get(), index, bytes.empty() ? "" : bytes.data(), static_cast<int>(bytes.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_.get(), index);
  return *this;
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return connection_->last_error("SQL step failed");
}

Status Statement::run() {
  while (true) {
    NAOS_ASSIGN_OR_RETURN(bool row, step());
    if (!row) return ok();
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::string Statement::column_text(int index) const {
  const void* bytes = sqlite3_column_blob(stmt_.get(), index);
  int size = sqlite3_column_bytes(stmt_.get(), index);
  return bytes ? std::string(static_cast<const char*>(bytes), static_cast<size_t>(size)) : std::string();
}

int64_t Statement::column_int64(int index) const { return sqlite3_column_int64(stmt_.get(), index); }

double Statement::column_double(int index) const { return sqlite3_column_double(stmt_.get(), index); }

bool Statement::column_is_null(int index) const { return sqlite3_column_type(stmt_.get(), index) == SQLITE_NULL; }

int Statement::column_count() const { return sqlite3_column_count(stmt_.get()); }

std::string Statement::column_name(int index) const {
  const char* name = sqlite3_column_name(stmt_.get(), index);
  return name ? name : "";
}

Statement::Kind Statement::column_kind(int index) const {
  switch (sqlite3_column_type(stmt_.get(), index)) {
    case SQLITE_INTEGER: return Kind::kInteger;
    case SQLITE_FLOAT: return Kind::kReal;
    case SQLITE_TEXT: return Kind::kText;
    case SQLITE_BLOB: return Kind::kBlob;
    default: return Kind::kNull;
  }
}

}  // namespace naos::store
