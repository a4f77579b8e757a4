#include "governance/audit_log.h"

#include "base/bytes_json.h"
#include "base/sha256.h"

#include <sodium.h>

#include <algorithm>
#include <map>

namespace naos::governance {

namespace {

// audit_prefix_digest, one event at a time.
class PrefixDigest {
 public:
  PrefixDigest() { crypto_hash_sha256_init(&state_); }
  void add(const AuditEvent& event) {
    std::string form = canonical_form(event) + event.hash + "\n";
    crypto_hash_sha256_update(&state_, reinterpret_cast<const unsigned char*>(form.data()), form.size());
  }
  std::string hex() const {
    crypto_hash_sha256_state copy = state_;  // hex() may be asked before the end
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&copy, digest);
    char text[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(text, sizeof text, digest, sizeof digest);
    return text;
  }

 private:
  crypto_hash_sha256_state state_;
};

}  // namespace

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
  NAOS_ASSIGN_OR_RETURN(std::shared_ptr<store::GroupCommit> writer, store::GroupCommit::open(database_file));
  return open(std::move(writer), key_file, clock);
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(std::shared_ptr<store::GroupCommit> writer,
                                                 const std::filesystem::path& key_file, Clock& clock) {
  NAOS_ASSIGN_OR_RETURN(auto key, AuditKey::load_or_create(key_file));
  return open(std::move(writer), std::move(key), clock);
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(std::shared_ptr<store::GroupCommit> writer, AuditKey key,
                                                 Clock& clock, std::unique_ptr<Witness> witness) {
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(writer), std::move(key), clock, std::move(witness)));
}

AuditLog::AuditLog(std::shared_ptr<store::GroupCommit> writer, AuditKey key, Clock& clock,
                   std::unique_ptr<Witness> witness)
    : writer_(std::move(writer)), key_(std::move(key)), clock_(clock), witness_(std::move(witness)) {
  writer_->add_participant(this);
}

AuditLog::~AuditLog() {
  // Everything queued before this no-op is written once it is: no write
  // left in the queue refers to this object.
  writer_->submit([](store::Database&) { return ok(); }).wait();
  writer_->remove_participant(this);
}

std::future<Result<int64_t>> AuditLog::append_async(AuditEventDraft draft) {
  auto pending = std::make_shared<Pending>();
  // Lossless, so an event carrying bytes that are not UTF-8 (a guest's cost
  // detail, a URL) is kept, never lost to a throw (base/bytes_json.h). The
  // actor and agent are names, stored as text that verify can re-hash.
  pending->payload = dump_lossless(draft.payload);
  draft.actor = bytes_key(draft.actor);
  draft.agent = bytes_key(draft.agent);
  draft.type = bytes_key(draft.type);
  std::string middle = nlohmann::json{draft.actor, draft.agent, draft.type, pending->payload}.dump();
  pending->canonical_middle = middle.substr(1, middle.size() - 2);  // without the brackets
  pending->actor = std::move(draft.actor);
  pending->agent = std::move(draft.agent);
  pending->type = std::move(draft.type);
  auto promise = std::make_shared<std::promise<Result<int64_t>>>();
  auto future = promise->get_future();
  writer_->enqueue([this, pending](store::Database& database) { return write_event(database, *pending); },
                   [pending, promise](Status status) {
                     if (status) {
                       promise->set_value(pending->seq);
                     } else {
                       promise->set_value(status.error());
                     }
                   },
                   store::GroupCommit::Undo::kItself);  // write_event keeps a failure from leaving a trace
  return future;
}

Result<int64_t> AuditLog::append(AuditEventDraft draft) { return append_async(std::move(draft)).get(); }

Status AuditLog::write_event(store::Database& database, Pending& event) {
  if (!head_) {
    // Read inside the write transaction: another process may have appended.
    NAOS_ASSIGN_OR_RETURN(store::Statement last,
                          database.prepare("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"));
    NAOS_ASSIGN_OR_RETURN(bool has_last, last.step());
    head_ = has_last ? Head{last.column_int64(0), last.column_text(1)} : Head{0, kGenesisHash};
  }
  int64_t seq = head_->seq + 1;
  int64_t now = clock_.now_ms();
  // Byte for byte canonical_form(event); audit_log_test checks the two agree.
  std::string hash = sha256_hex("[" + std::to_string(seq) + "," + std::to_string(now) + "," +
                                event.canonical_middle + ",\"" + head_->hash + "\"]");
  NAOS_ASSIGN_OR_RETURN(store::Statement insert,
                        database.prepare("INSERT INTO audit_events(seq, ts_ms, actor, agent, type, payload, "
                                         "prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  insert.bind(1, seq).bind(2, now).bind(3, event.actor).bind(4, event.agent).bind(5, event.type);
  insert.bind(6, event.payload).bind(7, head_->hash).bind(8, hash);
  if (seq % kCheckpointEvery != 0) {
    NAOS_TRY(insert.run());  // one statement: a failure leaves no row (GroupCommit::Undo::kItself)
  } else {
    // Two statements, so a savepoint of its own: both rows or neither.
    NAOS_TRY(database.run("SAVEPOINT checkpoint"));
    Status written = [&]() -> Status {
      NAOS_TRY(insert.run());
      NAOS_ASSIGN_OR_RETURN(store::Statement checkpoint,
                            database.prepare("INSERT INTO audit_checkpoints(seq, hash, signature, signed_ms) "
                                             "VALUES (?1, ?2, ?3, ?4)"));
      checkpoint.bind(1, seq).bind(2, hash).bind(3, key_.sign(signed_message("checkpoint", seq, hash))).bind(4, now);
      return checkpoint.run();
    }();
    NAOS_TRY(written ? database.run("RELEASE checkpoint")
                     : database.exec("ROLLBACK TO checkpoint; RELEASE checkpoint"));
    NAOS_TRY(written);
  }
  // Only now: a failed write is rolled back to its savepoint, and the head with it.
  head_ = Head{seq, std::move(hash)};
  head_changed_ = true;
  event.seq = seq;
  return ok();
}

Status AuditLog::before_commit(store::Database& database) {
  if (!head_changed_) return ok();
  if (witness_ && witness_->needs_compaction()) {
    // Inside the write transaction: the hashes it compares with are the log's.
    NAOS_ASSIGN_OR_RETURN(store::Statement hash_at, database.prepare("SELECT hash FROM audit_events WHERE seq = ?1"));
    NAOS_TRY(witness_->compact([&hash_at](int64_t seq) -> Result<std::optional<std::string>> {
      hash_at.reset();
      hash_at.bind(1, seq);
      NAOS_ASSIGN_OR_RETURN(bool row, hash_at.step());
      if (!row) return std::optional<std::string>();
      return std::optional<std::string>(hash_at.column_text(0));
    }));
  }
  WitnessEntry signed_head{WitnessEntry::Kind::kHead, head_->seq, head_->hash, clock_.now_ms(),
                           key_.sign(signed_message("head", head_->seq, head_->hash))};
  NAOS_ASSIGN_OR_RETURN(store::Statement head,
                        database.prepare("INSERT INTO audit_head(id, seq, hash, signature, signed_ms) "
                                         "VALUES (1, ?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE SET "
                                         "seq = excluded.seq, hash = excluded.hash, "
                                         "signature = excluded.signature, signed_ms = excluded.signed_ms"));
  head.bind(1, signed_head.seq).bind(2, signed_head.hash).bind(3, signed_head.signature).bind(4, signed_head.signed_ms);
  NAOS_TRY(head.run());
  signed_head_ = std::move(signed_head);
  return ok();
}

Status AuditLog::sign_imported_chain(store::Database& database) {
  int64_t now = clock_.now_ms();
  // Signs (seq, hash) as `kind` into the table `insert_sql` writes.
  auto sign = [&](std::string_view insert_sql, std::string_view kind, int64_t seq, const std::string& hash) -> Status {
    NAOS_ASSIGN_OR_RETURN(store::Statement insert, database.prepare(insert_sql));
    insert.bind(1, seq).bind(2, hash).bind(3, key_.sign(signed_message(kind, seq, hash))).bind(4, now);
    return insert.run();
  };
  NAOS_ASSIGN_OR_RETURN(store::Statement checkpoints,
                        database.prepare("SELECT seq, hash FROM audit_events WHERE seq % ?1 = 0 ORDER BY seq"));
  checkpoints.bind(1, kCheckpointEvery);
  while (true) {
    NAOS_ASSIGN_OR_RETURN(bool row, checkpoints.step());
    if (!row) break;
    NAOS_TRY(sign("INSERT OR REPLACE INTO audit_checkpoints(seq, hash, signature, signed_ms) VALUES (?1, ?2, ?3, ?4)",
                  "checkpoint", checkpoints.column_int64(0), checkpoints.column_text(1)));
  }
  NAOS_ASSIGN_OR_RETURN(store::Statement last,
                        database.prepare("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"));
  NAOS_ASSIGN_OR_RETURN(bool has_last, last.step());
  if (!has_last) return ok();
  return sign("INSERT OR REPLACE INTO audit_head(id, seq, hash, signature, signed_ms) VALUES (1, ?1, ?2, ?3, ?4)",
              "head", last.column_int64(0), last.column_text(1));
}

void AuditLog::after_batch(bool committed) {
  if (committed && signed_head_ && witness_) {
    // After the COMMIT: the witness never holds a head the database does not.
    // A failure leaves it behind the database (its next head catches up),
    // which loses no detection of what came before.
    witness_->append(*signed_head_).ignore_error();
  }
  signed_head_.reset();
  head_.reset();
  head_changed_ = false;
}

Result<std::vector<AuditEvent>> query_audit(store::Database& database, const AuditQuery& query) {
  std::string sql = "SELECT seq, ts_ms, actor, agent, type, payload, prev_hash, hash FROM audit_events WHERE seq > ?1";
  if (query.agent) sql += " AND agent = ?2";
  if (query.category) sql += " AND substr(type, 1, length(?3) + 1) = ?3 || '.'";
  if (query.action) sql += " AND type = ?4";
  if (query.since_ms) sql += " AND ts_ms >= ?5";
  sql += query.last > 0 ? " ORDER BY seq DESC LIMIT ?6" : query.first > 0 ? " ORDER BY seq LIMIT ?7" : " ORDER BY seq";
  NAOS_ASSIGN_OR_RETURN(store::Statement stmt, database.prepare(sql));
  stmt.bind(1, query.after_seq);
  if (query.agent) stmt.bind(2, *query.agent);
  if (query.category) stmt.bind(3, *query.category);
  if (query.action) stmt.bind(4, *query.action);
  if (query.since_ms) stmt.bind(5, *query.since_ms);
  if (query.last > 0) stmt.bind(6, query.last);
  if (query.last <= 0 && query.first > 0) stmt.bind(7, query.first);
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

Result<std::string> audit_prefix_digest(store::Database& database, int64_t through_seq) {
  NAOS_ASSIGN_OR_RETURN(store::Statement events,
                        database.prepare("SELECT seq, ts_ms, actor, agent, type, payload, prev_hash, hash "
                                         "FROM audit_events WHERE seq <= ?1 ORDER BY seq"));
  events.bind(1, through_seq);
  PrefixDigest digest;
  while (true) {
    NAOS_ASSIGN_OR_RETURN(bool row, events.step());
    if (!row) break;
    digest.add({events.column_int64(0), events.column_int64(1), events.column_text(2), events.column_text(3),
                events.column_text(4), events.column_text(5), events.column_text(6), events.column_text(7)});
  }
  return digest.hex();
}

Result<AuditVerification> verify_audit(store::Database& database, const AuditKey& key,
                                       const WitnessRecord* witness) {
  AuditVerification report;
  auto broken = [&report](int64_t seq, std::string problem) {
    if (!report.first_bad_seq) {
      report.first_bad_seq = seq;
      report.problem = std::move(problem);
    }
  };
  // One snapshot for the events, the head and the checkpoints: read one by
  // one while another process appends, the head could be newer than the
  // last event read and look like a deleted tail.
  NAOS_ASSIGN_OR_RETURN(store::ReadTransaction snapshot, database.read());

  // What the witness holds, by seq: each must still be the log's.
  std::multimap<int64_t, const WitnessEntry*> witnessed;
  const WitnessEntry* newest_witnessed = nullptr;
  int64_t baseline_seq = 0;
  if (witness != nullptr) {
    if (witness->baseline) {
      const auto& baseline = *witness->baseline;
      if (!key.verify(signed_message("baseline", baseline.seq, baseline.hash + ":" + baseline.prefix_digest),
                      baseline.signature)) {
        broken(baseline.seq, "the witness's baseline #" + std::to_string(baseline.seq) +
                                 " has an invalid signature (not made with this project's audit key)");
      }
      witnessed.emplace(baseline.seq, &baseline);
      baseline_seq = baseline.seq;
    }
    newest_witnessed = witness->newest();
    if (newest_witnessed != nullptr &&
        !key.verify(signed_message("head", newest_witnessed->seq, newest_witnessed->hash),
                    newest_witnessed->signature)) {
      broken(newest_witnessed->seq, "the witness's newest head #" + std::to_string(newest_witnessed->seq) +
                                        " has an invalid signature (not made with this project's audit key)");
    }
    for (const auto& head : witness->heads) witnessed.emplace(head.seq, &head);
  }

  NAOS_ASSIGN_OR_RETURN(store::Statement events,
                        database.prepare("SELECT seq, ts_ms, actor, agent, type, payload, prev_hash, hash "
                                         "FROM audit_events ORDER BY seq"));
  int64_t expected_seq = 1;
  std::string prev_hash = kGenesisHash;
  std::string last_hash = kGenesisHash;
  int64_t last_seq = 0;
  PrefixDigest prefix;
  while (!report.first_bad_seq) {
    NAOS_ASSIGN_OR_RETURN(bool row, events.step());
    if (!row) break;
    AuditEvent e{events.column_int64(0), events.column_int64(1), events.column_text(2), events.column_text(3),
                 events.column_text(4), events.column_text(5), events.column_text(6), events.column_text(7)};
    ++report.events;
    if (!is_utf8(e.actor) || !is_utf8(e.agent) || !is_utf8(e.type) || !is_utf8(e.payload) || !is_utf8(e.prev_hash)) {
      // The writer stores only UTF-8 text (a payload is JSON); other bytes
      // were put there by hand, and canonical_form cannot even hash them.
      broken(e.seq, "it holds bytes that are not UTF-8 (edited)");
    } else if (baseline_seq > 0 && e.seq <= baseline_seq) {
      // Accepted as it was (`naos audit accept`): unchanged since, if the
      // digest of everything through the baseline is the one it signed.
      prefix.add(e);
      if (e.seq == baseline_seq) {
        const auto& baseline = *witness->baseline;
        if (e.hash != baseline.hash || prefix.hex() != baseline.prefix_digest) {
          broken(e.seq, "the log through the accepted baseline #" + std::to_string(e.seq) +
                            " changed after it was accepted");
        }
        expected_seq = e.seq;  // from here on, every link counts
      }
    } else if (e.seq != expected_seq) {
      broken(expected_seq, "event #" + std::to_string(expected_seq) + " is missing (next is #" +
                               std::to_string(e.seq) + ")");
    } else if (e.prev_hash != prev_hash) {
      broken(e.seq, "its prev_hash does not match the hash of event #" + std::to_string(e.seq - 1));
    } else if (compute_hash(e) != e.hash) {
      broken(e.seq, "its content does not match its hash (edited)");
    } else {
      auto [first, end] = witnessed.equal_range(e.seq);
      for (auto it = first; it != end; ++it) {
        if (it->second->hash != e.hash) {
          broken(e.seq, "event #" + std::to_string(e.seq) + " is not the one the witness recorded (hash " +
                            it->second->hash.substr(0, 12) + ", now " + e.hash.substr(0, 12) +
                            "): the log was truncated or rewritten after it was written");
          break;
        }
      }
    }
    prev_hash = e.hash;
    last_hash = e.hash;
    last_seq = e.seq;
    ++expected_seq;
  }
  if (!report.first_bad_seq && last_seq < baseline_seq) {
    broken(last_seq + 1, "events after #" + std::to_string(last_seq) + " were removed (the accepted baseline is #" +
                             std::to_string(baseline_seq) + ")");
  }
  if (!report.first_bad_seq && !witnessed.empty() && witnessed.rbegin()->first > last_seq) {
    broken(last_seq + 1, "events after #" + std::to_string(last_seq) + " were removed (the witness recorded #" +
                             std::to_string(witnessed.rbegin()->first) + ")");
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
                                         "LEFT JOIN audit_events e ON e.seq = c.seq WHERE c.seq > ?1 ORDER BY c.seq"));
  checkpoints.bind(1, baseline_seq);
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
  // Witnessed through the newest head, or the baseline when no head came
  // after it (right after `audit accept` or `import`).
  report.witnessed = std::max(baseline_seq, newest_witnessed != nullptr ? newest_witnessed->seq : 0);
  report.intact = !report.first_bad_seq.has_value();
  return report;
}

Status write_witness_baseline(store::Database& database, const AuditKey& key,
                              const std::filesystem::path& witness_file, int64_t seq, int64_t now_ms) {
  NAOS_ASSIGN_OR_RETURN(store::Statement event, database.prepare("SELECT hash FROM audit_events WHERE seq = ?1"));
  event.bind(1, seq);
  NAOS_ASSIGN_OR_RETURN(bool found, event.step());
  if (!found) return Error(Code::kNotFound, "no audit event #" + std::to_string(seq) + " to take as the baseline");
  std::string hash = event.column_text(0);
  NAOS_ASSIGN_OR_RETURN(std::string digest, audit_prefix_digest(database, seq));
  WitnessEntry baseline{WitnessEntry::Kind::kBaseline, seq, hash, now_ms,
                        key.sign(signed_message("baseline", seq, hash + ":" + digest)), digest};
  return Witness::append_to(witness_file, baseline);
}

}  // namespace naos::governance
