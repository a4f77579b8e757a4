#include "store/database.h"

#include <sqlite3.h>

#include "store/schema.h"

namespace naos::store {

void Database::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }
void Statement::Finalizer::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

Database::Database(std::filesystem::path file, sqlite3* db) : file_(std::move(file)), db_(db) {}
Database::~Database() = default;

Error Database::last_error(std::string_view what) const {
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

Result<std::unique_ptr<Database>> Database::open(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) return Error(Code::kUnavailable, "cannot create folder: " + ec.message(), file.parent_path().string());
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  std::unique_ptr<Database> db(new Database(file, raw));
  if (rc != SQLITE_OK) return db->last_error("cannot open database");
  sqlite3_busy_timeout(raw, 5000);
  NAOS_TRY(db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  NAOS_TRY(db->migrate());
  return db;
}

Status Database::exec(std::string_view sql) {
  char* message = nullptr;
  std::string text(sql);
  if (sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string what = message ? message : "unknown error";
    sqlite3_free(message);
    return last_error("SQL failed (" + what + ")");
  }
  return ok();
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK) {
    return last_error("cannot prepare SQL");
  }
  return Statement(*this, raw);
}

Result<Transaction> Database::begin() {
  NAOS_TRY(exec("BEGIN IMMEDIATE"));
  return Transaction(*this);
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
  if (version > newest) {
    return Error(Code::kFailedPrecondition,
                 "database schema version " + std::to_string(version) + " is newer than this naos supports (" +
                     std::to_string(newest) + "); upgrade naos",
                 file_.string());
  }
  while (version < newest) {
    // Read the version again under the write lock: another process opening
    // the same new database may have applied this migration meanwhile.
    NAOS_ASSIGN_OR_RETURN(Transaction transaction, begin());
    version = schema_version();
    if (version >= newest) break;  // the transaction rolls back; nothing was written
    NAOS_TRY(exec(all[version]));
    NAOS_TRY(exec("PRAGMA user_version=" + std::to_string(version + 1)));
    NAOS_TRY(transaction.commit());
    ++version;
  }
  return ok();
}

Transaction::~Transaction() {
  if (database_ != nullptr) database_->exec("ROLLBACK").ignore_error();
}

Status Transaction::commit() {
  Database* database = database_;
  database_ = nullptr;
  return database->exec("COMMIT");
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
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
  return database_->last_error("SQL step failed");
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

bool Statement::column_is_null(int index) const { return sqlite3_column_type(stmt_.get(), index) == SQLITE_NULL; }

}  // namespace naos::store
