// AuditLog — append-only, tamper-evident record of everything that happens.
//
// Format (table audit_events, store/schema.h): events are numbered 1, 2, 3 ...
// without gaps. Each stores
//     hash = SHA-256( canonical_form(event) )
//     canonical_form = JSON array [seq, ts_ms, actor, agent, type, payload, prev_hash]
// (nlohmann's compact dump; payload is the JSON text as stored), where
// prev_hash is the previous event's hash, or 64 zeros for event 1. Editing,
// deleting, inserting or reordering any row breaks a hash or a link.
//
// Truncation and wholesale rewrites are caught by signatures (AuditKey): the
// newest (seq, hash) — the head — is signed and rewritten in the same
// transaction as every batch, and every 1,000th event is kept as a signed
// checkpoint. Each signed head is also appended, after its commit, to the
// project's witness outside data/ (governance/witness.h): the next batch
// re-signs whatever head the database holds, so only the witness still
// shows a truncation or rewrite after later writes.
//
// Durability (group commit): events are written through a store::GroupCommit
// (one transaction, one fsync, per batch), shared with the orchestration
// journal when Naos opens it. An event is never acknowledged before its
// transaction is durable, and a crash rolls back the whole unacknowledged
// batch, so the chain on disk is always whole. Several processes may append
// to one database: the head is read inside the batch's write transaction, and
// the signed head is rewritten at the end of every batch that added events.
//
// Threading: append() and append_async() from any thread; events are numbered
// in the order they were queued. Reading (query_audit, verify_audit) uses the
// caller's connection.
#pragma once

#include <cstdint>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "governance/audit_key.h"
#include "governance/witness.h"
#include "store/database.h"
#include "store/group_commit.h"

namespace naos::governance {

// The event types (PRODUCT.md "Audit"); dotted, category first.
namespace event {
inline constexpr const char* kAgentCreated = "agent.created";
inline constexpr const char* kAgentStarted = "agent.started";
inline constexpr const char* kAgentCompleted = "agent.completed";
inline constexpr const char* kAgentFailed = "agent.failed";
inline constexpr const char* kAgentRestarted = "agent.restarted";
inline constexpr const char* kAgentStopped = "agent.stopped";
inline constexpr const char* kAgentDeleted = "agent.deleted";
inline constexpr const char* kCapabilityDenied = "capability.denied";
inline constexpr const char* kConfigChanged = "config.changed";
inline constexpr const char* kSecretAccessed = "secret.accessed";
// A compiled module in data/cache/modules failed authentication and was
// compiled again (sandbox/module_cache.h): payload module_hash, file, reason.
inline constexpr const char* kModuleCacheRejected = "module.cache_rejected";
// `naos audit accept`: an operator took the log and evidence as they are now
// as the new baseline (governance/evidence.h), with a reason.
inline constexpr const char* kAuditAccepted = "audit.accepted";
}  // namespace event

struct AuditEventDraft {
  std::string actor;  // who did it: "cli", "user", "supervisor:root", an agent name
  std::string agent;  // which agent it is about; may be empty
  std::string type;   // e.g. "agent.started"
  nlohmann::json payload = nlohmann::json::object();
};

struct AuditEvent {
  int64_t seq = 0;
  int64_t ts_ms = 0;
  std::string actor;
  std::string agent;
  std::string type;
  std::string payload;  // JSON text, exactly as hashed
  std::string prev_hash;
  std::string hash;
};

inline const std::string kGenesisHash(64, '0');

std::string canonical_form(const AuditEvent& event);
// SHA-256 hex of canonical_form(event).
std::string compute_hash(const AuditEvent& event);
// What the head and checkpoint signatures cover.
std::string signed_message(std::string_view kind, int64_t seq, std::string_view hash);

class AuditLog final : private store::BatchParticipant {
 public:
  static constexpr int64_t kCheckpointEvery = 1000;

  // With a group commit of its own.
  static Result<std::unique_ptr<AuditLog>> open(const std::filesystem::path& database_file,
                                                const std::filesystem::path& key_file, Clock& clock);
  // Writing through `writer`, which other components share; the key is
  // loaded from `key_file`, or made there when the file does not exist.
  static Result<std::unique_ptr<AuditLog>> open(std::shared_ptr<store::GroupCommit> writer,
                                                const std::filesystem::path& key_file, Clock& clock);
  // Signing with `key` (a project's, from its evidence: governance/evidence.h),
  // and appending every signed head to `witness` when there is one.
  static Result<std::unique_ptr<AuditLog>> open(std::shared_ptr<store::GroupCommit> writer, AuditKey key,
                                                Clock& clock, std::unique_ptr<Witness> witness = nullptr);
  // Waits until every event appended is written.
  ~AuditLog() override;
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Returns the event's seq once it is durable.
  Result<int64_t> append(AuditEventDraft draft);
  // Queues the event; the future is ready once it is durable.
  std::future<Result<int64_t>> append_async(AuditEventDraft draft);

  // Signs the chain already in `database` as this project's: its newest
  // event as the head and every kCheckpointEvery-th as a checkpoint, inside
  // the caller's write transaction. For `naos import`, whose events arrive
  // signed by the exporting project's key (kept in the import's audit event).
  Status sign_imported_chain(store::Database& database);
  std::string public_key_hex() const { return key_.public_key_hex(); }

 private:
  // An event as the producer prepared it: the JSON escaping of its middle
  // fields is done on the caller's thread, so the writer thread only numbers,
  // links and hashes (canonical_form's bytes, assembled in pieces).
  struct Pending {
    std::string actor, agent, type, payload;
    std::string canonical_middle;  // "actor","agent","type","payload" as in canonical_form
    int64_t seq = 0;               // once written
  };
  // The newest event in the chain, as this batch has it.
  struct Head {
    int64_t seq = 0;
    std::string hash;
  };
  AuditLog(std::shared_ptr<store::GroupCommit> writer, AuditKey key, Clock& clock, std::unique_ptr<Witness> witness);
  // On the writer thread, inside the batch's transaction.
  Status write_event(store::Database& database, Pending& event);
  Status before_commit(store::Database& database) override;
  void after_batch(bool committed) override;

  std::shared_ptr<store::GroupCommit> writer_;
  AuditKey key_;
  Clock& clock_;
  // Touched only on the writer thread: read from the database at a batch's
  // first event, forgotten when the batch ends (another process may append
  // between two batches).
  std::optional<Head> head_;
  bool head_changed_ = false;
  // The witness outside data/ (null without one), and the head signed in
  // this batch, appended to it once the batch is committed.
  std::unique_ptr<Witness> witness_;
  std::optional<WitnessEntry> signed_head_;
};

struct AuditQuery {
  std::optional<std::string> agent;
  std::optional<std::string> category;  // "cost" matches "cost.*"
  std::optional<std::string> action;    // an exact type
  std::optional<int64_t> since_ms;
  int64_t after_seq = 0;                 // for --follow
  // The newest `last` events (in order); 0 = every matching event.
  int64_t last = 0;
  // Without `last`: the oldest `first` matching events (after after_seq),
  // so a reader far behind takes the log a batch at a time; 0 = every one.
  int64_t first = 0;
};

Result<std::vector<AuditEvent>> query_audit(store::Database& database, const AuditQuery& query);

struct AuditVerification {
  bool intact = false;
  int64_t events = 0;
  int64_t checkpoints = 0;
  // The newest head the witness holds (0: none, or verified without one).
  int64_t witnessed = 0;
  // The first event (or head) found broken, and how.
  std::optional<int64_t> first_bad_seq;
  std::string problem;
};

// SHA-256 over every event through `through_seq` in seq order, each as
// canonical_form + hash + "\n", exactly as stored (links need not hold):
// what a witness baseline pins (governance/witness.h).
Result<std::string> audit_prefix_digest(store::Database& database, int64_t through_seq);

// Appends to `witness_file` a baseline at event `seq`, signed by `key`: the
// witness's heads before it no longer count. For a log that was rightly
// replaced (`naos audit accept`, `naos import`).
// Errors: kNotFound when the log has no event `seq`.
Status write_witness_baseline(store::Database& database, const AuditKey& key,
                              const std::filesystem::path& witness_file, int64_t seq, int64_t now_ms);

// Checks every link, every hash, the signed head and every checkpoint, in one
// read transaction (one snapshot), so writers in other processes cause no
// false alarm. `database` must not be inside a transaction already. With a
// `witness` (read before this call, so that every head it holds is in the
// snapshot): every witnessed head must still be in the log with its hash.
// The log through the witness's baseline (`naos audit accept`) is checked
// against the baseline's digest instead of link by link, and its
// checkpoints not at all (they may be signed by a key accept replaced).
Result<AuditVerification> verify_audit(store::Database& database, const AuditKey& key,
                                       const WitnessRecord* witness = nullptr);

}  // namespace naos::governance
