#include "orchestration/task_queue.h"

#include <future>

namespace naos::orchestration {
namespace {

constexpr const char* kTaskColumns =
    "pool, id, input, state, attempts, output, error, worker, created_ms, updated_ms";

Task read_task(const store::Statement& row) {
  Task task;
  task.pool = row.column_text(0);
  task.id = row.column_int64(1);
  task.input = row.column_text(2);
  task.state = row.column_text(3);
  task.attempts = static_cast<int>(row.column_int64(4));
  task.output = row.column_text(5);
  task.error = row.column_text(6);
  task.worker = static_cast<int>(row.column_int64(7));
  task.created_ms = row.column_int64(8);
  task.updated_ms = row.column_int64(9);
  return task;
}

// Changes the state of one task, failing when it is not in `from` (so a task
// another process or `pool stop` moved meanwhile is not overwritten).
Status move_task(store::Database& db, const std::string& pool, int64_t id, const char* from, const std::string& to,
                 const std::string& output, const std::string& error, int attempts_delta, bool clear_worker,
                 int64_t now) {
  NAOS_ASSIGN_OR_RETURN(auto stmt,
                        db.prepare("UPDATE pool_tasks SET state = ?4, output = ?5, error = ?6, "
                                   "attempts = max(0, attempts + ?7), worker = CASE WHEN ?8 THEN -1 ELSE worker END, "
                                   "updated_ms = ?9 WHERE pool = ?1 AND id = ?2 AND state = ?3"));
  stmt.bind(1, pool).bind(2, id).bind(3, from).bind(4, to).bind(5, output).bind(6, error);
  stmt.bind(7, int64_t{attempts_delta}).bind(8, int64_t{clear_worker ? 1 : 0}).bind(9, now);
  NAOS_TRY(stmt.run());
  NAOS_ASSIGN_OR_RETURN(auto changed, db.prepare("SELECT changes()"));
  NAOS_ASSIGN_OR_RETURN(bool row, changed.step());
  if (!row || changed.column_int64(0) != 1) {
    return Error(Code::kFailedPrecondition, std::string("the task is not ") + from + " any more",
                 pool + " task " + std::to_string(id));
  }
  return ok();
}

}  // namespace

Result<std::unique_ptr<TaskQueue>> TaskQueue::open(Journal& journal, const std::filesystem::path& database_file) {
  NAOS_ASSIGN_OR_RETURN(auto reader, store::Database::open(database_file));
  return std::unique_ptr<TaskQueue>(new TaskQueue(journal, std::move(reader)));
}

Result<std::vector<int64_t>> TaskQueue::submit(const std::string& pool, const std::vector<std::string>& inputs) {
  auto ids = std::make_shared<std::vector<int64_t>>();
  int64_t now = journal_.clock().now_ms();
  NAOS_TRY(journal_.writer().write([=](store::Database& db) -> Status {
    ids->clear();
    NAOS_ASSIGN_OR_RETURN(auto last, db.prepare("SELECT coalesce(max(id), 0) FROM pool_tasks WHERE pool = ?1"));
    last.bind(1, pool);
    NAOS_ASSIGN_OR_RETURN(bool row, last.step());
    int64_t next = row ? last.column_int64(0) + 1 : 1;
    NAOS_ASSIGN_OR_RETURN(auto insert, db.prepare("INSERT INTO pool_tasks(pool, id, input, state, created_ms, "
                                                  "updated_ms) VALUES (?1, ?2, ?3, 'queued', ?4, ?4)"));
    for (const auto& input : inputs) {
      insert.reset();
      insert.bind(1, pool).bind(2, next).bind(3, input).bind(4, now);
      NAOS_TRY(insert.run());
      ids->push_back(next++);
    }
    return ok();
  }));
  return *ids;
}

Result<std::optional<Task>> TaskQueue::take(const std::string& pool, int worker) {
  auto taken = std::make_shared<std::optional<Task>>();
  int64_t now = journal_.clock().now_ms();
  NAOS_TRY(journal_.writer().write([=](store::Database& db) -> Status {
    taken->reset();
    NAOS_ASSIGN_OR_RETURN(auto oldest, db.prepare(std::string("SELECT ") + kTaskColumns +
                                                  " FROM pool_tasks WHERE pool = ?1 AND state = 'queued' "
                                                  "ORDER BY id LIMIT 1"));
    oldest.bind(1, pool);
    NAOS_ASSIGN_OR_RETURN(bool row, oldest.step());
    if (!row) return ok();
    Task task = read_task(oldest);
    NAOS_ASSIGN_OR_RETURN(auto update, db.prepare("UPDATE pool_tasks SET state = 'running', worker = ?3, "
                                                  "updated_ms = ?4 WHERE pool = ?1 AND id = ?2"));
    update.bind(1, pool).bind(2, task.id).bind(3, int64_t{worker}).bind(4, now);
    NAOS_TRY(update.run());
    task.state = task_state::kRunning;
    task.worker = worker;
    task.updated_ms = now;
    *taken = std::move(task);
    return ok();
  }));
  return *taken;
}

Status TaskQueue::finish(const std::string& pool, int64_t id, const std::string& state, const std::string& output,
                         const std::string& error, int attempts_delta, const char* event,
                         const TaskJournal& journal) {
  int64_t now = journal_.clock().now_ms();
  return journal_.writer().write([=](store::Database& db) -> Status {
    bool back_to_queue = state == task_state::kQueued;
    NAOS_TRY(move_task(db, pool, id, task_state::kRunning, state, output, error, attempts_delta, back_to_queue, now));
    if (journal.run_id.empty()) return ok();
    // In the task's transaction, so the queue and the run's journal agree.
    return write_entry(db, {0, journal.run_id, static_cast<int>(id), "task " + std::to_string(id), event,
                            journal.attempt, journal.data, now});
  });
}

Status TaskQueue::start_attempt(const std::string& pool, int64_t id, const TaskJournal& journal) {
  return finish(pool, id, task_state::kRunning, "", "", 0, entry::kStepStarted, journal);
}

Status TaskQueue::attempt_failed(const std::string& pool, int64_t id, const TaskJournal& journal) {
  return finish(pool, id, task_state::kRunning, "", "", 1, entry::kStepFailed, journal);
}

Status TaskQueue::complete(const std::string& pool, int64_t id, const std::string& output,
                           const TaskJournal& journal) {
  return finish(pool, id, task_state::kCompleted, output, "", 1, entry::kStepCompleted, journal);
}

Status TaskQueue::fail(const std::string& pool, int64_t id, const std::string& error, const TaskJournal& journal) {
  return finish(pool, id, task_state::kFailed, "", error, 1, entry::kStepFailed, journal);
}

Status TaskQueue::requeue(const std::string& pool, int64_t id, const TaskJournal& journal) {
  return finish(pool, id, task_state::kQueued, "", "", 0, entry::kStepFailed, journal);
}

namespace {

// UPDATE ... then changes(), in one write.
Result<int64_t> update_counting(store::GroupCommit& writer, std::string sql, std::string pool, int64_t now) {
  auto changed = std::make_shared<int64_t>(0);
  NAOS_TRY(writer.write([=](store::Database& db) -> Status {
    NAOS_ASSIGN_OR_RETURN(auto stmt, db.prepare(sql));
    stmt.bind(1, pool).bind(2, now);
    NAOS_TRY(stmt.run());
    NAOS_ASSIGN_OR_RETURN(auto count, db.prepare("SELECT changes()"));
    NAOS_ASSIGN_OR_RETURN(bool row, count.step());
    *changed = row ? count.column_int64(0) : 0;
    return ok();
  }));
  return *changed;
}

}  // namespace

Result<int64_t> TaskQueue::recover(const std::string& pool) {
  return update_counting(journal_.writer(),
                         "UPDATE pool_tasks SET state = 'queued', worker = -1, updated_ms = ?2 "
                         "WHERE pool = ?1 AND state = 'running'",
                         pool, journal_.clock().now_ms());
}

Result<int64_t> TaskQueue::cancel_queued(const std::string& pool) {
  return update_counting(journal_.writer(),
                         "UPDATE pool_tasks SET state = 'cancelled', updated_ms = ?2 "
                         "WHERE pool = ?1 AND state = 'queued'",
                         pool, journal_.clock().now_ms());
}

Result<TaskCounts> TaskQueue::counts(const std::string& pool) {
  std::lock_guard lock(reader_mutex_);
  NAOS_ASSIGN_OR_RETURN(auto stmt,
                        reader_->prepare("SELECT state, count(*) FROM pool_tasks WHERE pool = ?1 GROUP BY state"));
  stmt.bind(1, pool);
  TaskCounts counts;
  for (;;) {
    NAOS_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) break;
    std::string state = stmt.column_text(0);
    int64_t n = stmt.column_int64(1);
    if (state == task_state::kQueued) counts.queued = n;
    if (state == task_state::kRunning) counts.running = n;
    if (state == task_state::kCompleted) counts.completed = n;
    if (state == task_state::kFailed) counts.failed = n;
    if (state == task_state::kCancelled) counts.cancelled = n;
  }
  return counts;
}

Result<std::vector<Task>> TaskQueue::tasks(const std::string& pool, const std::string& state, size_t limit) {
  std::string sql = std::string("SELECT ") + kTaskColumns + " FROM pool_tasks WHERE pool = ?1";
  if (!state.empty()) sql += " AND state = ?2";
  sql += " ORDER BY id";
  if (limit > 0) sql += " LIMIT " + std::to_string(limit);
  std::lock_guard lock(reader_mutex_);
  NAOS_ASSIGN_OR_RETURN(auto stmt, reader_->prepare(sql));
  stmt.bind(1, pool);
  if (!state.empty()) stmt.bind(2, state);
  std::vector<Task> out;
  for (;;) {
    NAOS_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) break;
    out.push_back(read_task(stmt));
  }
  return out;
}

Result<std::optional<Task>> TaskQueue::task(const std::string& pool, int64_t id) {
  std::lock_guard lock(reader_mutex_);
  NAOS_ASSIGN_OR_RETURN(auto stmt, reader_->prepare(std::string("SELECT ") + kTaskColumns +
                                                    " FROM pool_tasks WHERE pool = ?1 AND id = ?2"));
  stmt.bind(1, pool).bind(2, id);
  NAOS_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return std::optional<Task>();
  return std::optional<Task>(read_task(stmt));
}

Status TaskQueue::serve(const std::string& pool, const std::string& owner, uint32_t size, int64_t* recovered) {
  auto moved = std::make_shared<int64_t>(0);
  int64_t now = journal_.clock().now_ms();
  NAOS_TRY(journal_.writer().write([=](store::Database& db) -> Status {
    NAOS_ASSIGN_OR_RETURN(auto find, db.prepare("SELECT owner FROM pool_state WHERE pool = ?1"));
    find.bind(1, pool);
    NAOS_ASSIGN_OR_RETURN(bool found, find.step());
    std::string current = found ? find.column_text(0) : "";
    if (!current.empty() && current != owner && Journal::owner_alive(current)) {
      return Error(Code::kFailedPrecondition, "the pool is served by process " + current + " already", pool);
    }
    NAOS_ASSIGN_OR_RETURN(auto upsert, db.prepare("INSERT INTO pool_state(pool, size, draining, owner, updated_ms) "
                                                  "VALUES (?1, ?2, 0, ?3, ?4) ON CONFLICT(pool) DO UPDATE SET "
                                                  "size = excluded.size, draining = 0, owner = excluded.owner, "
                                                  "updated_ms = excluded.updated_ms"));
    upsert.bind(1, pool).bind(2, int64_t{size}).bind(3, owner).bind(4, now);
    NAOS_TRY(upsert.run());
    // Nobody else serves the pool, so every running task was left by a dead one.
    NAOS_ASSIGN_OR_RETURN(auto back, db.prepare("UPDATE pool_tasks SET state = 'queued', worker = -1, "
                                                "updated_ms = ?2 WHERE pool = ?1 AND state = 'running'"));
    back.bind(1, pool).bind(2, now);
    NAOS_TRY(back.run());
    NAOS_ASSIGN_OR_RETURN(auto changed, db.prepare("SELECT changes()"));
    NAOS_ASSIGN_OR_RETURN(bool row, changed.step());
    *moved = row ? changed.column_int64(0) : 0;
    return ok();
  }));
  if (recovered) *recovered = *moved;
  return ok();
}

Status TaskQueue::release(const std::string& pool, const std::string& owner) {
  int64_t now = journal_.clock().now_ms();
  return journal_.writer().write([=](store::Database& db) -> Status {
    NAOS_ASSIGN_OR_RETURN(auto stmt, db.prepare("UPDATE pool_state SET owner = '', draining = 0, updated_ms = ?3 "
                                                "WHERE pool = ?1 AND owner = ?2"));
    stmt.bind(1, pool).bind(2, owner).bind(3, now);
    return stmt.run();
  });
}

Status TaskQueue::set_size(const std::string& pool, uint32_t size) {
  int64_t now = journal_.clock().now_ms();
  return journal_.writer().write([=](store::Database& db) -> Status {
    NAOS_ASSIGN_OR_RETURN(auto stmt, db.prepare("INSERT INTO pool_state(pool, size, updated_ms) VALUES (?1, ?2, ?3) "
                                                "ON CONFLICT(pool) DO UPDATE SET size = excluded.size, "
                                                "updated_ms = excluded.updated_ms"));
    stmt.bind(1, pool).bind(2, int64_t{size}).bind(3, now);
    return stmt.run();
  });
}

Status TaskQueue::set_request(const std::string& pool, PoolRequest request) {
  int64_t now = journal_.clock().now_ms();
  return journal_.writer().write([=](store::Database& db) -> Status {
    NAOS_ASSIGN_OR_RETURN(auto stmt, db.prepare("UPDATE pool_state SET draining = ?2, updated_ms = ?3 "
                                                "WHERE pool = ?1"));
    stmt.bind(1, pool).bind(2, static_cast<int64_t>(request)).bind(3, now);
    return stmt.run();
  });
}

Result<std::optional<PoolControl>> TaskQueue::control(const std::string& pool) {
  std::lock_guard lock(reader_mutex_);
  NAOS_ASSIGN_OR_RETURN(auto stmt,
                        reader_->prepare("SELECT size, draining, owner, updated_ms FROM pool_state WHERE pool = ?1"));
  stmt.bind(1, pool);
  NAOS_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return std::optional<PoolControl>();
  PoolControl control;
  control.pool = pool;
  control.size = static_cast<uint32_t>(stmt.column_int64(0));
  int64_t request = stmt.column_int64(1);
  control.request = request == 2 ? PoolRequest::kStop : request == 1 ? PoolRequest::kDrain : PoolRequest::kServe;
  control.owner = stmt.column_text(2);
  control.updated_ms = stmt.column_int64(3);
  return std::optional<PoolControl>(control);
}

}  // namespace naos::orchestration
