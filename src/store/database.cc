#include "store/database.h"

#include <sqlite3.h>

namespace naos::store {
namespace {

// Migration N takes user_version N-1 to N. Append only: a released migration
// is never edited, because databases in the field already ran it.
constexpr const char* kMigrations[] = {
    // 1: the kv capability.
    "CREATE TABLE kv ("
    "  agent TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value BLOB NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (agent, key)"
    ") WITHOUT ROWID;",
};
static_assert(std::size(kMigrations) == kSchemaVersion);

struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

}  // namespace

void Database::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Database::Database(std::filesystem::path file, sqlite3* db) : file_(std::move(file)), db_(db) {}
Database::~Database() = default;

Error Database::sqlite_error(std::string_view what) const {
  int code = sqlite3_errcode(db_.get());
  Code naos_code = (code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_FULL ||
                    code == SQLITE_IOERR)
                       ? Code::kUnavailable
                       : Code::kInternal;
  return Error(naos_code, std::string(what) + ": " + sqlite3_errmsg(db_.get()), file_.string());
}

Result<std::unique_ptr<Database>> Database::open(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) return Error(Code::kUnavailable, "cannot create folder: " + ec.message(), file.parent_path().string());
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  std::unique_ptr<Database> db(new Database(file, raw));
  if (rc != SQLITE_OK) return db->sqlite_error("cannot open database");
  sqlite3_busy_timeout(raw, 5000);
  NAOS_TRY(db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  NAOS_TRY(db->migrate());
  return db;
}

Status Database::exec(std::string_view sql) {
  std::lock_guard lock(mutex_);
  char* message = nullptr;
  std::string text(sql);
  if (sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string what = message ? message : "unknown error";
    sqlite3_free(message);
    return Error(Code::kInternal, "SQL failed: " + what, file_.string());
  }
  return ok();
}

int Database::schema_version() {
  std::lock_guard lock(mutex_);
  sqlite3_stmt* raw = nullptr;
  sqlite3_prepare_v2(db_.get(), "PRAGMA user_version", -1, &raw, nullptr);
  Statement stmt(raw);
  return sqlite3_step(stmt.get()) == SQLITE_ROW ? sqlite3_column_int(stmt.get(), 0) : -1;
}

Status Database::migrate() {
  int version = schema_version();
  if (version > kSchemaVersion) {
    return Error(Code::kFailedPrecondition,
                 "database schema version " + std::to_string(version) + " is newer than this naos supports (" +
                     std::to_string(kSchemaVersion) + "); upgrade naos",
                 file_.string());
  }
  for (int next = version + 1; next <= kSchemaVersion; ++next) {
    std::string sql = std::string("BEGIN IMMEDIATE;") + kMigrations[next - 1] +
                      "PRAGMA user_version=" + std::to_string(next) + ";COMMIT;";
    if (auto status = exec(sql); !status) {
      exec("ROLLBACK").ignore_error();
      return status;
    }
  }
  return ok();
}

Result<std::optional<std::string>> Database::kv_get(std::string_view agent, std::string_view key) {
  std::lock_guard lock(mutex_);
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(), "SELECT value FROM kv WHERE agent = ?1 AND key = ?2", -1, &raw, nullptr) !=
      SQLITE_OK) {
    return sqlite_error("kv_get");
  }
  Statement stmt(raw);
  sqlite3_bind_text(raw, 1, agent.data(), static_cast<int>(agent.size()), SQLITE_STATIC);
  sqlite3_bind_text(raw, 2, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  int rc = sqlite3_step(raw);
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return sqlite_error("kv_get");
  const void* blob = sqlite3_column_blob(raw, 0);
  int size = sqlite3_column_bytes(raw, 0);
  return std::optional<std::string>(std::string(static_cast<const char*>(blob), static_cast<size_t>(size)));
}

Status Database::kv_set(std::string_view agent, std::string_view key, std::string_view value, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(),
                         "INSERT INTO kv(agent, key, value, updated_ms) VALUES (?1, ?2, ?3, ?4) "
                         "ON CONFLICT(agent, key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
                         -1, &raw, nullptr) != SQLITE_OK) {
    return sqlite_error("kv_set");
  }
  Statement stmt(raw);
  sqlite3_bind_text(raw, 1, agent.data(), static_cast<int>(agent.size()), SQLITE_STATIC);
  sqlite3_bind_text(raw, 2, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  // An empty value still binds a zero-length blob, not NULL.
  sqlite3_bind_blob(raw, 3, value.empty() ? "" : value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  sqlite3_bind_int64(raw, 4, now_ms);
  if (sqlite3_step(raw) != SQLITE_DONE) return sqlite_error("kv_set");
  return ok();
}

}  // namespace naos::store
