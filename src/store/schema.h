// The database schema: numbered migrations, append-only. A released
// migration is never edited, because databases in the field already ran it.
//
// Tables, field by field:
//
//   kv(agent, key, value BLOB, updated_ms)            -- migration 1
//     The kv capability. `agent` is the agent's name, taken from the run,
//     never from the guest. PRIMARY KEY(agent, key).
//
//   agents(id, name UNIQUE, template, status, source, module_hash,
//          metadata JSON, created_ms, updated_ms)      -- migration 2
//     The registry. `id` is a short stable hash of the name (registry.h);
//     `status` is one of the lifecycle states (registry.h).
//
//   audit_events(seq, ts_ms, actor, agent, type, payload JSON, prev_hash,
//                hash)                                 -- migration 2
//     The audit log (governance/audit_log.h). seq is 1, 2, 3, ... without
//     gaps; hash = SHA-256 of the event's canonical form, which includes
//     prev_hash (the previous event's hash; 64 zeros for seq 1).
//
//   audit_head(id = 1, seq, hash, signature, signed_ms)    -- migration 2
//     The newest event's seq and hash, Ed25519-signed by the project's audit
//     key, rewritten in the same transaction as every batch of events, so
//     truncating the log or rewriting it without the key is detected.
//
//   audit_checkpoints(seq, hash, signature, signed_ms)     -- migration 2
//     Signed (seq, hash) pairs kept every 1,000 events: a rewrite of the
//     middle of the chain that keeps the head is detected too.
//
//   secrets(name, value BLOB, created_ms, updated_ms)     -- migration 2
//     `naos secret set`; values never appear in the audit log or output.
#pragma once

#include <span>

namespace naos::store {

// SQL of migration N is kMigrations[N - 1].
std::span<const char* const> migrations();

}  // namespace naos::store
