#include "project/registry.h"

#include "base/sha256.h"

namespace naos::project {
namespace {

constexpr std::pair<AgentStatus, std::string_view> kStatusNames[] = {
    {AgentStatus::kCreated, "created"},     {AgentStatus::kIdle, "idle"},
    {AgentStatus::kRunning, "running"},     {AgentStatus::kStopped, "stopped"},
    {AgentStatus::kCompleted, "completed"}, {AgentStatus::kFailed, "failed"},
    {AgentStatus::kBudgetExceeded, "budget_exceeded"},
};

constexpr const char* kColumns =
    "id, name, template, status, source, module_hash, metadata, created_ms, updated_ms, runner_pid, runner_start";
// Moving to `to`: the status, and the runner, this process when running.
constexpr const char* kTransition =
    "UPDATE agents SET status = ?2, updated_ms = ?3, runner_pid = ?4, runner_start = ?5 WHERE name = ?1";

void bind_transition(store::Statement& stmt, std::string_view name, AgentStatus to, int64_t now_ms) {
  ProcessIdentity runner = to == AgentStatus::kRunning ? this_process() : ProcessIdentity{};
  stmt.bind(1, name).bind(2, status_name(to)).bind(3, now_ms).bind(4, runner.pid).bind(5, runner.start_ticks);
}

AgentRecord read_record(const store::Statement& row) {
  AgentRecord record;
  record.id = row.column_text(0);
  record.name = row.column_text(1);
  record.template_name = row.column_text(2);
  record.status = parse_status(row.column_text(3)).value_or(AgentStatus::kFailed);
  record.source = row.column_text(4);
  record.module_hash = row.column_text(5);
  record.metadata = row.column_text(6);
  record.created_ms = row.column_int64(7);
  record.updated_ms = row.column_int64(8);
  record.runner = {row.column_int64(9), row.column_int64(10)};
  return record;
}

}  // namespace

std::string_view status_name(AgentStatus status) {
  for (const auto& [value, name] : kStatusNames) {
    if (value == status) return name;
  }
  return "failed";
}

std::optional<AgentStatus> parse_status(std::string_view name) {
  for (const auto& [value, text] : kStatusNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

bool transition_allowed(AgentStatus from, AgentStatus to) {
  using enum AgentStatus;
  switch (to) {
    case kRunning: return from == kCreated || from == kIdle || from == kCompleted || from == kFailed || from == kStopped;
    case kCompleted:
    case kFailed:
    case kBudgetExceeded: return from == kRunning;
    case kStopped: return from == kRunning || from == kIdle || from == kCreated;
    case kIdle: return from == kCreated || from == kBudgetExceeded || from == kIdle;
    case kCreated: return false;
  }
  return false;
}

std::string agent_id(std::string_view name) { return sha256_hex("agent:" + std::string(name)).substr(0, 12); }

Result<AgentRecord> Registry::create(AgentRecord record, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  record.id = agent_id(record.name);
  record.created_ms = record.updated_ms = now_ms;
  NAOS_ASSIGN_OR_RETURN(store::Statement stmt,
                        database_.prepare("INSERT INTO agents(id, name, template, status, source, module_hash, "
                                          "metadata, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  stmt.bind(1, record.id).bind(2, record.name).bind(3, record.template_name).bind(4, status_name(record.status));
  stmt.bind(5, record.source).bind(6, record.module_hash).bind(7, record.metadata);
  stmt.bind(8, record.created_ms).bind(9, record.updated_ms);
  if (auto status = stmt.run(); !status) {
    if (status.error().code() == Code::kAlreadyExists) {
      return Error(Code::kAlreadyExists, "an agent with this name exists already", record.name);
    }
    return status.error();
  }
  return record;
}

Result<std::optional<AgentRecord>> Registry::find_locked(std::string_view name) {
  NAOS_ASSIGN_OR_RETURN(store::Statement stmt,
                        database_.prepare(std::string("SELECT ") + kColumns + " FROM agents WHERE name = ?1"));
  stmt.bind(1, name);
  NAOS_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return std::optional<AgentRecord>();
  return std::optional<AgentRecord>(read_record(stmt));
}

Result<std::optional<AgentRecord>> Registry::find(std::string_view name) {
  std::lock_guard lock(mutex_);
  return find_locked(name);
}

Result<std::vector<AgentRecord>> Registry::list() {
  std::lock_guard lock(mutex_);
  NAOS_ASSIGN_OR_RETURN(store::Statement stmt,
                        database_.prepare(std::string("SELECT ") + kColumns + " FROM agents ORDER BY name"));
  std::vector<AgentRecord> records;
  while (true) {
    NAOS_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) return records;
    records.push_back(read_record(stmt));
  }
}

Status Registry::set_module(std::string_view name, std::string_view source, std::string_view hash, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  // The status read and the update are one write transaction: another
  // process may move the agent in between otherwise.
  NAOS_ASSIGN_OR_RETURN(store::Transaction transaction, database_.begin());
  NAOS_ASSIGN_OR_RETURN(auto found, find_locked(name));
  if (!found) return Error(Code::kNotFound, "no such agent", std::string(name));
  bool ready = found->status == AgentStatus::kCreated;
  NAOS_ASSIGN_OR_RETURN(store::Statement stmt,
                        database_.prepare("UPDATE agents SET source = ?2, module_hash = ?3, updated_ms = ?4, "
                                          "status = ?5 WHERE name = ?1"));
  stmt.bind(1, name).bind(2, source).bind(3, hash).bind(4, now_ms);
  stmt.bind(5, status_name(ready ? AgentStatus::kIdle : found->status));
  NAOS_TRY(stmt.run());
  return transaction.commit();
}

Result<AgentStatus> Registry::transition(std::string_view name, AgentStatus to, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  NAOS_ASSIGN_OR_RETURN(store::Transaction transaction, database_.begin());
  NAOS_ASSIGN_OR_RETURN(auto found, find_locked(name));
  if (!found) return Error(Code::kNotFound, "no such agent", std::string(name));
  AgentStatus from = found->status;
  if (!transition_allowed(from, to)) {
    return Error(Code::kFailedPrecondition,
                 "cannot go from " + std::string(status_name(from)) + " to " + std::string(status_name(to)),
                 std::string(name));
  }
  NAOS_ASSIGN_OR_RETURN(store::Statement stmt, database_.prepare(kTransition));
  bind_transition(stmt, name, to, now_ms);
  NAOS_TRY(stmt.run());
  NAOS_TRY(transaction.commit());
  return from;
}

Status Registry::transition_if_allowed(store::Database& database, std::string_view name, AgentStatus to,
                                       int64_t now_ms) {
  NAOS_ASSIGN_OR_RETURN(store::Statement find, database.prepare("SELECT status FROM agents WHERE name = ?1"));
  find.bind(1, name);
  NAOS_ASSIGN_OR_RETURN(bool row, find.step());
  if (!row) return ok();
  auto from = parse_status(find.column_text(0));
  if (!from || !transition_allowed(*from, to)) return ok();
  NAOS_ASSIGN_OR_RETURN(store::Statement update, database.prepare(kTransition));
  bind_transition(update, name, to, now_ms);
  return update.run();
}

Status Registry::set_metadata(std::string_view name, std::string_view json, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  NAOS_ASSIGN_OR_RETURN(store::Statement stmt,
                        database_.prepare("UPDATE agents SET metadata = ?2, updated_ms = ?3 WHERE name = ?1"));
  stmt.bind(1, name).bind(2, json).bind(3, now_ms);
  return stmt.run();
}

Status Registry::remove(std::string_view name) {
  std::lock_guard lock(mutex_);
  NAOS_ASSIGN_OR_RETURN(auto found, find_locked(name));
  if (!found) return Error(Code::kNotFound, "no such agent", std::string(name));
  if (found->status == AgentStatus::kRunning) {
    return Error(Code::kFailedPrecondition, "the agent is running; stop it first (naos stop " + std::string(name) + ")",
                 std::string(name));
  }
  NAOS_ASSIGN_OR_RETURN(store::Statement stmt, database_.prepare("DELETE FROM agents WHERE name = ?1"));
  stmt.bind(1, name);
  return stmt.run();
}

}  // namespace naos::project
