#include "orchestration/journal.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <random>

#include "base/bytes_json.h"
#include "base/process.h"
#include "base/sha256.h"

namespace naos::orchestration {
namespace {

constexpr const char* kRunColumns =
    "id, kind, name, parent, state, input, output, error, owner, created_ms, updated_ms";

RunRecord read_run(const store::Statement& row) {
  RunRecord run;
  run.id = row.column_text(0);
  run.kind = row.column_text(1);
  run.name = row.column_text(2);
  run.parent = row.column_text(3);
  run.state = row.column_text(4);
  run.input = row.column_text(5);
  run.output = row.column_text(6);
  run.error = row.column_text(7);
  run.owner = row.column_text(8);
  run.created_ms = row.column_int64(9);
  run.updated_ms = row.column_int64(10);
  return run;
}

}  // namespace

Result<std::unique_ptr<Journal>> Journal::open(const std::filesystem::path& database_file, Clock& clock) {
  NAOS_ASSIGN_OR_RETURN(std::shared_ptr<store::GroupCommit> writer, store::GroupCommit::open(database_file));
  return open(std::move(writer), database_file, clock);
}

Result<std::unique_ptr<Journal>> Journal::open(std::shared_ptr<store::GroupCommit> writer,
                                               const std::filesystem::path& database_file, Clock& clock) {
  NAOS_ASSIGN_OR_RETURN(auto reader, store::Database::open(database_file));
  return std::unique_ptr<Journal>(new Journal(std::move(writer), std::move(reader), clock));
}

Status Journal::create_run(RunRecord run, bool exclusive) {
  run.created_ms = run.updated_ms = clock_.now_ms();
  return writer_->write([run = std::move(run), exclusive](store::Database& db) -> Status {
    if (exclusive) {
      NAOS_ASSIGN_OR_RETURN(auto busy, db.prepare("SELECT id, state FROM orch_runs WHERE kind = ?1 AND name = ?2 "
                                                  "AND parent = '' AND state IN ('running', 'compensating', "
                                                  "'compensation_failed') LIMIT 1"));
      busy.bind(1, run.kind).bind(2, run.name);
      NAOS_ASSIGN_OR_RETURN(bool found, busy.step());
      if (found) {
        return Error(Code::kFailedPrecondition,
                     "has an unfinished run " + busy.column_text(0) + " (" + busy.column_text(1) + ")", run.name);
      }
    }
    NAOS_ASSIGN_OR_RETURN(auto stmt, db.prepare(std::string("INSERT INTO orch_runs(") + kRunColumns +
                                                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
    stmt.bind(1, run.id).bind(2, run.kind).bind(3, run.name).bind(4, run.parent).bind(5, run.state);
    stmt.bind(6, run.input).bind(7, run.output).bind(8, run.error).bind(9, run.owner);
    stmt.bind(10, run.created_ms).bind(11, run.updated_ms);
    if (auto status = stmt.run(); !status) {
      if (status.error().code() == Code::kAlreadyExists) {
        return Error(Code::kAlreadyExists, "a run with this id exists already", run.id);
      }
      return status;
    }
    return ok();
  });
}

Status Journal::update_run(const std::string& id, const std::string& state, const std::string& output,
                           const std::string& error, const std::string& owner) {
  int64_t now = clock_.now_ms();
  return writer_->write([=](store::Database& db) -> Status {
    NAOS_ASSIGN_OR_RETURN(auto stmt, db.prepare("UPDATE orch_runs SET state = ?2, output = ?3, error = ?4, "
                                                "owner = ?5, updated_ms = ?6 WHERE id = ?1"));
    stmt.bind(1, id).bind(2, state).bind(3, output).bind(4, error).bind(5, owner).bind(6, now);
    return stmt.run();
  });
}

Status Journal::claim_run(const std::string& id, const std::string& owner) {
  int64_t now = clock_.now_ms();
  return writer_->write([=](store::Database& db) -> Status {
    NAOS_ASSIGN_OR_RETURN(auto find, db.prepare("SELECT owner FROM orch_runs WHERE id = ?1"));
    find.bind(1, id);
    NAOS_ASSIGN_OR_RETURN(bool found, find.step());
    if (!found) return Error(Code::kNotFound, "no such run", id);
    std::string current = find.column_text(0);
    if (!current.empty() && current != owner && owner_alive(current)) {
      return Error(Code::kFailedPrecondition, "the run is being driven by process " + current, id);
    }
    NAOS_ASSIGN_OR_RETURN(auto stmt, db.prepare("UPDATE orch_runs SET owner = ?2, updated_ms = ?3 WHERE id = ?1"));
    stmt.bind(1, id).bind(2, owner).bind(3, now);
    return stmt.run();
  });
}

Status Journal::append(Entry entry, Wait wait) {
  entry.ts_ms = clock_.now_ms();
  // Serialized here: the one writer thread is what every step waits for.
  // Lossless: bytes a caller did not wrap in bytes_json() still cannot throw.
  std::string data = dump_lossless(entry.data);
  auto done = writer_->submit(
      [entry = std::move(entry), data = std::move(data)](store::Database& db) -> Status {
        return write_entry(db, entry, data);
      },
      store::GroupCommit::Undo::kItself);  // one INSERT
  if (wait == Wait::kQueued) return ok();
  return done.get();
}

Result<std::optional<RunRecord>> Journal::find_run(const std::string& id) {
  std::lock_guard lock(reader_mutex_);
  NAOS_ASSIGN_OR_RETURN(auto stmt, reader_->prepare(std::string("SELECT ") + kRunColumns +
                                                    " FROM orch_runs WHERE id = ?1"));
  stmt.bind(1, id);
  NAOS_ASSIGN_OR_RETURN(bool found, stmt.step());
  if (!found) return std::optional<RunRecord>();
  return std::optional<RunRecord>(read_run(stmt));
}

Result<std::vector<RunRecord>> Journal::runs(const RunFilter& filter) {
  std::string sql = std::string("SELECT ") + kRunColumns + " FROM orch_runs WHERE 1";
  if (filter.kind) sql += " AND kind = ?1";
  if (filter.name) sql += " AND name = ?2";
  if (filter.top_level_only) sql += " AND parent = ''";
  if (!filter.states.empty()) {
    sql += " AND state IN (";
    for (size_t i = 0; i < filter.states.size(); ++i) sql += (i ? ", ?" : "?") + std::to_string(10 + i);
    sql += ")";
  }
  sql += " ORDER BY created_ms DESC, id DESC";
  if (filter.limit > 0) sql += " LIMIT " + std::to_string(filter.limit);
  std::lock_guard lock(reader_mutex_);
  NAOS_ASSIGN_OR_RETURN(auto stmt, reader_->prepare(sql));
  if (filter.kind) stmt.bind(1, *filter.kind);
  if (filter.name) stmt.bind(2, *filter.name);
  for (size_t i = 0; i < filter.states.size(); ++i) stmt.bind(static_cast<int>(10 + i), filter.states[i]);
  std::vector<RunRecord> out;
  for (;;) {
    NAOS_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) break;
    out.push_back(read_run(stmt));
  }
  std::reverse(out.begin(), out.end());  // oldest first
  return out;
}

Result<std::vector<Entry>> Journal::entries(const std::string& run_id) {
  std::lock_guard lock(reader_mutex_);
  NAOS_ASSIGN_OR_RETURN(auto stmt, reader_->prepare("SELECT seq, run_id, step, step_name, event, attempt, data, "
                                                    "ts_ms FROM orch_journal WHERE run_id = ?1 ORDER BY seq"));
  stmt.bind(1, run_id);
  std::vector<Entry> out;
  for (;;) {
    NAOS_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) break;
    Entry e;
    e.seq = stmt.column_int64(0);
    e.run_id = stmt.column_text(1);
    e.step = static_cast<int>(stmt.column_int64(2));
    e.step_name = stmt.column_text(3);
    e.event = stmt.column_text(4);
    e.attempt = static_cast<int>(stmt.column_int64(5));
    e.data = nlohmann::json::parse(stmt.column_text(6), nullptr, false);
    if (e.data.is_discarded()) return Error(Code::kInternal, "a journal entry is not JSON", std::to_string(e.seq));
    e.ts_ms = stmt.column_int64(7);
    out.push_back(std::move(e));
  }
  return out;
}

std::string Journal::this_process() { return std::to_string(::getpid()); }

bool Journal::owner_alive(const std::string& owner) {
  if (owner.empty()) return false;
  char* end = nullptr;
  long pid = std::strtol(owner.c_str(), &end, 10);
  if (end == owner.c_str() || *end != '\0') return false;
  return process_alive(pid);
}

Status write_entry(store::Database& db, const Entry& entry) {
  return write_entry(db, entry, dump_lossless(entry.data));
}

Status write_entry(store::Database& db, const Entry& entry, std::string_view data_json) {
  NAOS_ASSIGN_OR_RETURN(auto stmt, db.prepare("INSERT INTO orch_journal(run_id, step, step_name, event, attempt, "
                                              "data, ts_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  stmt.bind(1, entry.run_id).bind(2, int64_t{entry.step}).bind(3, entry.step_name).bind(4, entry.event);
  stmt.bind(5, int64_t{entry.attempt}).bind(6, data_json).bind(7, entry.ts_ms);
  return stmt.run();
}

std::string new_run_id(std::string_view kind, std::string_view name) {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t salt = std::random_device{}();
  auto now = std::chrono::system_clock::now().time_since_epoch().count();
  std::string seed = std::to_string(now) + ":" + std::to_string(::getpid()) + ":" + std::to_string(salt) + ":" +
                     std::to_string(counter.fetch_add(1));
  return std::string(kind) + "-" + std::string(name) + "-" + sha256_hex(seed).substr(0, 12);
}

}  // namespace naos::orchestration
