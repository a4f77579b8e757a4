#include "governance/audit_log.h"

#include "base/sha256.h"

namespace naos::governance {

std::string canonical_form(const AuditEvent& e) {
  nlohmann::json form = {e.seq, e.ts_ms, e.actor, e.agent, e.type, e.payload, e.prev_hash};
  return form.dump();
}

std::string compute_hash(const AuditEvent& event) { return sha256_hex(canonical_form(event)); }

std::string signed_message(std::string_view kind, int64_t seq, std::string_view hash) {
  return "naos-audit-" + std::string(kind) + ":v1:" + std::to_string(seq) + ":" + std::string(hash);
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::filesystem::path& database_file,
                                                 const std::filesystem::path& key_file, Clock& clock) {
  NAOS_ASSIGN_OR_RETURN(auto database, store::Database::open(database_file));
  NAOS_ASSIGN_OR_RETURN(auto key, AuditKey::load_or_create(key_file));
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(database), std::move(key), clock));
}

AuditLog::AuditLog(std::unique_ptr<store::Database> database, AuditKey key, Clock& clock)
    : database_(std::move(database)), key_(std::move(key)), clock_(clock) {
  writer_ = std::thread([this] { write_until_stopped(); });
}

AuditLog::~AuditLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

std::future<Result<int64_t>> AuditLog::append_async(AuditEventDraft draft) {
  Pending pending;
  pending.payload = draft.payload.dump();
  std::string middle = nlohmann::json{draft.actor, draft.agent, draft.type, pending.payload}.dump();
  pending.canonical_middle = middle.substr(1, middle.size() - 2);  // without the brackets
  pending.actor = std::move(draft.actor);
  pending.agent = std::move(draft.agent);
  pending.type = std::move(draft.type);
  auto future = pending.done.get_future();
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(pending));
  }
  wake_.notify_one();
  return future;
}

Result<int64_t> AuditLog::append(AuditEventDraft draft) { return append_async(std::move(draft)).get(); }

void AuditLog::write_until_stopped() {
  while (true) {
    std::vector<Pending> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to commit
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::vector<int64_t> seqs;
    Status status = [&]() -> Status {
      try {
        return commit_batch(batch, seqs);
      } catch (const std::exception& e) {
        return Error(Code::kInternal, std::string("audit writer: ") + e.what());
      }
    }();
    for (size_t i = 0; i < batch.size(); ++i) {
      if (status) {
        batch[i].done.set_value(seqs[i]);
      } else {
        batch[i].done.set_value(status.error());
      }
    }
  }
}

Status AuditLog::commit_batch(std::vector<Pending>& batch, std::vector<int64_t>& seqs) {
  NAOS_ASSIGN_OR_RETURN(store::Transaction transaction, database_->begin());
  // The head is read inside the write transaction: another process may have appended.
  NAOS_ASSIGN_OR_RETURN(store::Statement last, database_->prepare(
                                                   "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"));
  NAOS_ASSIGN_OR_RETURN(bool has_last, last.step());
  int64_t seq = has_last ? last.column_int64(0) : 0;
  std::string prev_hash = has_last ? last.column_text(1) : kGenesisHash;

  NAOS_ASSIGN_OR_RETURN(store::Statement insert,
                        database_->prepare("INSERT INTO audit_events(seq, ts_ms, actor, agent, type, payload, "
                                           "prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  NAOS_ASSIGN_OR_RETURN(store::Statement checkpoint,
                        database_->prepare("INSERT INTO audit_checkpoints(seq, hash, signature, signed_ms) "
                                           "VALUES (?1, ?2, ?3, ?4)"));
  int64_t now = clock_.now_ms();
  for (auto& pending : batch) {
    ++seq;
    // Byte for byte canonical_form(event); audit_log_test checks the two agree.
    std::string hash = sha256_hex("[" + std::to_string(seq) + "," + std::to_string(now) + "," +
                                  pending.canonical_middle + ",\"" + prev_hash + "\"]");
    insert.reset();
    insert.bind(1, seq).bind(2, now).bind(3, pending.actor).bind(4, pending.agent).bind(5, pending.type);
    insert.bind(6, pending.payload).bind(7, prev_hash).bind(8, hash);
    NAOS_TRY(insert.run());
    if (seq % kCheckpointEvery == 0) {
      checkpoint.reset();
      checkpoint.bind(1, seq).bind(2, hash);
      checkpoint.bind(3, key_.sign(signed_message("checkpoint", seq, hash))).bind(4, now);
      NAOS_TRY(checkpoint.run());
    }
    prev_hash = std::move(hash);
    seqs.push_back(seq);
  }
  NAOS_ASSIGN_OR_RETURN(store::Statement head,
                        database_->prepare("INSERT INTO audit_head(id, seq, hash, signature, signed_ms) "
                                           "VALUES (1, ?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE SET "
                                           "seq = excluded.seq, hash = excluded.hash, "
                                           "signature = excluded.signature, signed_ms = excluded.signed_ms"));
  head.bind(1, seq).bind(2, prev_hash).bind(3, key_.sign(signed_message("head", seq, prev_hash))).bind(4, now);
  NAOS_TRY(head.run());
  return transaction.commit();
}

Result<std::vector<AuditEvent>> query_audit(store::Database& database, const AuditQuery& query) {
  std::string sql = "SELECT seq, ts_ms, actor, agent, type, payload, prev_hash, hash FROM audit_events WHERE seq > ?1";
  if (query.agent) sql += " AND agent = ?2";
  if (query.category) sql += " AND substr(type, 1, length(?3) + 1) = ?3 || '.'";
  if (query.action) sql += " AND type = ?4";
  if (query.since_ms) sql += " AND ts_ms >= ?5";
  sql += query.last > 0 ? " ORDER BY seq DESC LIMIT ?6" : " ORDER BY seq";
  NAOS_ASSIGN_OR_RETURN(store::Statement stmt, database.prepare(sql));
  stmt.bind(1, query.after_seq);
  if (query.agent) stmt.bind(2, *query.agent);
  if (query.category) stmt.bind(3, *query.category);
  if (query.action) stmt.bind(4, *query.action);
  if (query.since_ms) stmt.bind(5, *query.since_ms);
  if (query.last > 0) stmt.bind(6, query.last);
  std::vector<AuditEvent> events;
  while (true) {
    NAOS_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) break;
    events.push_back({stmt.column_int64(0), stmt.column_int64(1), stmt.column_text(2), stmt.column_text(3),
                      stmt.column_text(4), stmt.column_text(5), stmt.column_text(6), stmt.column_text(7)});
  }
  if (query.last > 0) std::reverse(events.begin(), events.end());
  return events;
}

Result<AuditVerification> verify_audit(store::Database& database, const AuditKey& key) {
  AuditVerification report;
  auto broken = [&report](int64_t seq, std::string problem) {
    if (!report.first_bad_seq) {
      report.first_bad_seq = seq;
      report.problem = std::move(problem);
    }
  };
  NAOS_ASSIGN_OR_RETURN(store::Statement events,
                        database.prepare("SELECT seq, ts_ms, actor, agent, type, payload, prev_hash, hash "
                                         "FROM audit_events ORDER BY seq"));
  int64_t expected_seq = 1;
  std::string prev_hash = kGenesisHash;
  std::string last_hash = kGenesisHash;
  int64_t last_seq = 0;
  while (!report.first_bad_seq) {
    NAOS_ASSIGN_OR_RETURN(bool row, events.step());
    if (!row) break;
    AuditEvent e{events.column_int64(0), events.column_int64(1), events.column_text(2), events.column_text(3),
                 events.column_text(4), events.column_text(5), events.column_text(6), events.column_text(7)};
    ++report.events;
    if (e.seq != expected_seq) {
      broken(expected_seq, "event #" + std::to_string(expected_seq) + " is missing (next is #" +
                               std::to_string(e.seq) + ")");
    } else if (e.prev_hash != prev_hash) {
      broken(e.seq, "its prev_hash does not match the hash of event #" + std::to_string(e.seq - 1));
    } else if (compute_hash(e) != e.hash) {
      broken(e.seq, "its content does not match its hash (edited)");
    }
    prev_hash = e.hash;
    last_hash = e.hash;
    last_seq = e.seq;
    ++expected_seq;
  }

  NAOS_ASSIGN_OR_RETURN(store::Statement head, database.prepare("SELECT seq, hash, signature FROM audit_head"));
  NAOS_ASSIGN_OR_RETURN(bool has_head, head.step());
  if (!report.first_bad_seq) {
    if (!has_head) {
      if (last_seq > 0) broken(last_seq, "the signed head is missing");
    } else {
      int64_t head_seq = head.column_int64(0);
      std::string head_hash = head.column_text(1);
      if (!key.verify(signed_message("head", head_seq, head_hash), head.column_text(2))) {
        broken(head_seq, "the head's signature is not valid (rewritten without the audit key)");
      } else if (head_seq > last_seq) {
        broken(last_seq + 1, "events after #" + std::to_string(last_seq) + " were removed (the signed head is #" +
                                 std::to_string(head_seq) + ")");
      } else if (head_seq < last_seq) {
        broken(head_seq + 1, "events after the signed head #" + std::to_string(head_seq) + " were added");
      } else if (head_hash != last_hash) {
        broken(last_seq, "the chain does not end in the signed head's hash (rewritten)");
      }
    }
  }

  NAOS_ASSIGN_OR_RETURN(store::Statement checkpoints,
                        database.prepare("SELECT c.seq, c.hash, c.signature, e.hash FROM audit_checkpoints c "
                                         "LEFT JOIN audit_events e ON e.seq = c.seq ORDER BY c.seq"));
  while (!report.first_bad_seq) {
    NAOS_ASSIGN_OR_RETURN(bool row, checkpoints.step());
    if (!row) break;
    ++report.checkpoints;
    int64_t seq = checkpoints.column_int64(0);
    std::string hash = checkpoints.column_text(1);
    if (!key.verify(signed_message("checkpoint", seq, hash), checkpoints.column_text(2))) {
      broken(seq, "checkpoint #" + std::to_string(seq) + " has an invalid signature");
    } else if (checkpoints.column_text(3) != hash) {
      broken(seq, "the chain does not pass through signed checkpoint #" + std::to_string(seq) + " (rewritten)");
    }
  }
  report.intact = !report.first_bad_seq.has_value();
  return report;
}

}  // namespace naos::governance
