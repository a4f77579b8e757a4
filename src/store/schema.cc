#include "store/schema.h"

namespace naos::store {
namespace {

constexpr const char* kMigrations[] = {
    // 1: the kv capability.
    "CREATE TABLE kv ("
    "  agent TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value BLOB NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (agent, key)"
    ") WITHOUT ROWID;",

    // 2: the agent registry, the audit log, secrets.
    "CREATE TABLE agents ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  template TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL,"
    "  source TEXT NOT NULL DEFAULT '',"
    "  module_hash TEXT NOT NULL DEFAULT '',"
    "  metadata TEXT NOT NULL DEFAULT '{}',"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL"
    ");"
    "CREATE TABLE audit_events ("
    "  seq INTEGER PRIMARY KEY,"
    "  ts_ms INTEGER NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  agent TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  payload TEXT NOT NULL,"
    "  prev_hash TEXT NOT NULL,"
    "  hash TEXT NOT NULL"
    ");"
    "CREATE INDEX audit_events_agent ON audit_events(agent, seq);"
    "CREATE INDEX audit_events_type ON audit_events(type, seq);"
    "CREATE TABLE audit_head ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  seq INTEGER NOT NULL,"
    "  hash TEXT NOT NULL,"
    "  signature TEXT NOT NULL,"
    "  signed_ms INTEGER NOT NULL"
    ");"
    "CREATE TABLE audit_checkpoints ("
    "  seq INTEGER PRIMARY KEY,"
    "  hash TEXT NOT NULL,"
    "  signature TEXT NOT NULL,"
    "  signed_ms INTEGER NOT NULL"
    ");"
    "CREATE TABLE secrets ("
    "  name TEXT PRIMARY KEY,"
    "  value BLOB NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL"
    ") WITHOUT ROWID;",

    // 3: the cost ledger, budgets set with `naos cost set`, per-budget state.
    "CREATE TABLE cost_ledger ("
    "  id INTEGER PRIMARY KEY,"
    "  ts_ms INTEGER NOT NULL,"
    "  agent TEXT NOT NULL,"
    "  amount_microcents INTEGER NOT NULL CHECK (amount_microcents >= 0),"
    "  source TEXT NOT NULL,"
    "  detail TEXT NOT NULL DEFAULT ''"
    ");"
    "CREATE INDEX cost_ledger_agent ON cost_ledger(agent, ts_ms);"
    "CREATE INDEX cost_ledger_ts ON cost_ledger(ts_ms);"
    "CREATE TABLE cost_budgets ("
    "  target TEXT PRIMARY KEY,"
    "  limit_cents INTEGER NOT NULL CHECK (limit_cents >= 0),"
    "  period TEXT NOT NULL,"
    "  on_exceed TEXT NOT NULL,"
    "  alert_at INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE cost_budget_state ("
    "  target TEXT PRIMARY KEY,"
    "  reset_ms INTEGER NOT NULL DEFAULT 0,"
    "  alerted_window_ms INTEGER"
    ") WITHOUT ROWID;",
};

}  // namespace

std::span<const char* const> migrations() { return kMigrations; }

}  // namespace naos::store
