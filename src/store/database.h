// Database — the one owner of a SQLite connection, and the only code in naos
// that includes sqlite3.h (style rule 1).
//
// A Database is opened on a file (data/nexus.db) in WAL mode with
// synchronous=FULL, so a statement that returned has reached the disk: nothing
// is reported done before it is durable. Schema migrations are applied on
// open, in order, each in its own transaction; a database written by a newer
// naos (user_version above the newest migration here) is refused.
//
// Schema (user_version 1):
//   kv(agent TEXT, key TEXT, value BLOB, updated_ms INTEGER,
//      PRIMARY KEY(agent, key))      -- the per-agent key-value capability
//
// Threading: one connection, serialized by an internal mutex; every public
// function may be called from any thread. Statements are prepared per call
// through SQLite's own statement cache-free path; hot paths keep a Statement.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace naos::store {

// The schema version this build writes; see the migrations in database.cc.
inline constexpr int kSchemaVersion = 1;

class Database {
 public:
  // Opens (creating if needed) the database file and migrates it.
  static Result<std::unique_ptr<Database>> open(const std::filesystem::path& file);

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs SQL with no results (DDL, PRAGMA, simple writes).
  Status exec(std::string_view sql);

  int schema_version();

  // Key-value rows for the kv capability; `agent` namespaces every key.
  Result<std::optional<std::string>> kv_get(std::string_view agent, std::string_view key);
  Status kv_set(std::string_view agent, std::string_view key, std::string_view value, int64_t now_ms);

  const std::filesystem::path& file() const { return file_; }

 private:
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  Database(std::filesystem::path file, sqlite3* db);
  Status migrate();
  Error sqlite_error(std::string_view what) const;

  std::filesystem::path file_;
  std::unique_ptr<sqlite3, Closer> db_;
  std::mutex mutex_;
};

}  // namespace naos::store
