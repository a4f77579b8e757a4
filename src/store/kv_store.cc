#include "store/kv_store.h"

namespace naos::store {

Result<std::optional<std::string>> KvStore::get(std::string_view agent, std::string_view key) {
  std::lock_guard lock(mutex_);
  NAOS_ASSIGN_OR_RETURN(Statement stmt, database_.prepare("SELECT value FROM kv WHERE agent = ?1 AND key = ?2"));
  stmt.bind(1, agent).bind(2, key);
  NAOS_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(stmt.column_text(0));
}

Status KvStore::set(std::string_view agent, std::string_view key, std::string_view value, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  NAOS_ASSIGN_OR_RETURN(Statement stmt,
                        database_.prepare("INSERT INTO kv(agent, key, value, updated_ms) VALUES (?1, ?2, ?3, ?4) "
                                          "ON CONFLICT(agent, key) DO UPDATE SET value = excluded.value, "
                                          "updated_ms = excluded.updated_ms"));
  stmt.bind(1, agent).bind(2, key).bind_blob(3, value).bind(4, now_ms);
  return stmt.run();
}

Result<bool> KvStore::compare_and_set(std::string_view agent, std::string_view key,
                                      std::optional<std::string_view> expected, std::string_view value,
                                      int64_t now_ms) {
  std::lock_guard lock(mutex_);
  // RETURNING gives a row only when the row was written. Values are stored
  // as blobs; CAST compares a value some other path stored as text alike.
  if (!expected) {
    NAOS_ASSIGN_OR_RETURN(Statement stmt,
                          database_.prepare("INSERT INTO kv(agent, key, value, updated_ms) VALUES (?1, ?2, ?3, ?4) "
                                            "ON CONFLICT(agent, key) DO NOTHING RETURNING 1"));
    stmt.bind(1, agent).bind(2, key).bind_blob(3, value).bind(4, now_ms);
    NAOS_ASSIGN_OR_RETURN(bool stored, stmt.step());
    return stored;
  }
  NAOS_ASSIGN_OR_RETURN(Statement stmt,
                        database_.prepare("UPDATE kv SET value = ?4, updated_ms = ?5 "
                                          "WHERE agent = ?1 AND key = ?2 AND CAST(value AS BLOB) = ?3 RETURNING 1"));
  stmt.bind(1, agent).bind(2, key).bind_blob(3, *expected).bind_blob(4, value).bind(5, now_ms);
  NAOS_ASSIGN_OR_RETURN(bool stored, stmt.step());
  return stored;
}

Result<int64_t> KvStore::increment(std::string_view agent, std::string_view key, int64_t delta, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  // One statement: insert `delta`, or add it to a value that reads back as
  // itself through an integer (so a decimal integer and nothing else), when
  // the sum stays an integer (SQLite makes an overflowing sum a REAL).
  NAOS_ASSIGN_OR_RETURN(
      Statement stmt,
      database_.prepare("INSERT INTO kv(agent, key, value, updated_ms) "
                        "VALUES (?1, ?2, CAST(CAST(?3 AS TEXT) AS BLOB), ?4) "
                        "ON CONFLICT(agent, key) DO UPDATE SET "
                        "value = CAST(CAST(CAST(value AS INTEGER) + ?3 AS TEXT) AS BLOB), updated_ms = ?4 "
                        "WHERE CAST(CAST(value AS INTEGER) AS TEXT) = CAST(value AS TEXT) "
                        "AND typeof(CAST(value AS INTEGER) + ?3) = 'integer' "
                        "RETURNING CAST(value AS INTEGER)"));
  stmt.bind(1, agent).bind(2, key).bind(3, delta).bind(4, now_ms);
  NAOS_ASSIGN_OR_RETURN(bool stored, stmt.step());
  if (!stored) {
    return Error(Code::kInvalidArgument, "the value is not a decimal integer, or adding would overflow",
                 std::string(key));
  }
  return stmt.column_int64(0);
}

Result<std::vector<KvStore::Entry>> KvStore::entries(std::string_view agent) {
  std::lock_guard lock(mutex_);
  NAOS_ASSIGN_OR_RETURN(Statement stmt,
                        database_.prepare("SELECT key, value, updated_ms FROM kv WHERE agent = ?1 ORDER BY key"));
  stmt.bind(1, agent);
  std::vector<Entry> out;
  while (true) {
    NAOS_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) return out;
    out.push_back({stmt.column_text(0), stmt.column_text(1), stmt.column_int64(2)});
  }
}

}  // namespace naos::store
