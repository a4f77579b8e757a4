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
