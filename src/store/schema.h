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
//
//   cost_ledger(id, ts_ms, agent, amount_microcents, source, detail)
//                                                      -- migration 3
//     One row per recorded cost (governance/cost_ledger.h). Append-only;
//     amount is integer micro-cents (1e-6 cent), never negative; source is
//     "agent" (nexus.cost_record), "llm" or "http"; detail is free text.
//
//   cost_budgets(target, limit_cents, period, on_exceed, alert_at, updated_ms)
//                                                      -- migration 3
//     Budgets set with `naos cost set`; a row overrides cost.budgets.<target>
//     of the config. target is an agent name or "global"; period, on_exceed
//     are the config's kebab-case spellings.
//
//   cost_budget_state(target, reset_ms, alerted_window_ms) -- migration 3
//     reset_ms: `naos cost reset` time; spending before it does not count
//     against the current period. alerted_window_ms: start of the period
//     whose cost.alert was raised (one alert per period).
//
//   orch_runs(id, kind, name, parent, state, input, output, error, owner,
//             created_ms, updated_ms)                 -- migration 4
//     One row per run of a workflow, saga or pool (orchestration/journal.h).
//     kind: workflow | saga | pool; state: the kind's states (PRODUCT.md);
//     parent: the run id a nested run belongs to, or ''. owner: "pid" of the
//     process driving it while it is running, so a resume can tell a live
//     run from one whose process was killed.
//
//   orch_journal(seq, run_id, step, step_name, event, attempt, data JSON, ts_ms)
//                                                      -- migration 4
//     The step journal: an entry before and after every step, compensation
//     and retry (events in orchestration/journal.h). Append-only; replaying
//     a run's entries in seq order gives its state after a crash.
//
//   pool_tasks(pool, id, input, state, attempts, output, error, worker,
//              created_ms, updated_ms)                 -- migration 4
//     The clone pools' durable task queue: state queued | running |
//     completed | failed | cancelled; a task `running` when its process
//     died is queued again on restart.
//
//   pool_state(pool, size, draining, owner, updated_ms)   -- migration 4
//     `naos pool scale` and `drain` for a pool served by another process.
//
//   supervisor_state(supervisor, state, pid, report, started_ms, updated_ms)
//   supervisor_children(supervisor, child, kind, state, restarts, last_error,
//                       updated_ms)                    -- migration 4
//     What `naos supervisor status` shows of a tree run by another process.
//
//   cost_reservations(owner_pid, owner_start, reservation, target, agent,
//                     amount_microcents, limit_microcents, created_ms)
//                                                      -- migration 5
//     Amounts held against a budget by priced calls in flight, in every
//     process (governance/budget.h). A reservation against an agent's budget
//     and the global one is two rows. owner_pid/owner_start name the process
//     (base/process.h): the rows of a process that is no longer alive are
//     deleted by the next reserve. limit_microcents: the limit the amount was
//     admitted under.
//   cost_ledger.beyond_reservation_microcents             -- migration 5
//     The part of a cost above what its call reserved (a vendor that counted
//     more tokens than the estimate): spent, so recorded, but never admitted.
//   agents.runner_pid, agents.runner_start              -- migration 5
//     The process that last made the agent `running` (base/process.h), so a
//     run whose process was killed does not keep the agent running forever.
//
//   project_identity(id = 1, database_id, created_ms)    -- migration 6
//     The database's identity: 32 random hex digits, also kept in the
//     project's evidence folder outside data/ (governance/evidence.h), so a
//     deleted, emptied or replaced database is noticed. Empty in a database
//     that has not been bound yet (new, or from before migration 6).
#pragma once

#include <span>

namespace naos::store {

// SQL of migration N is kMigrations[N - 1].
std::span<const char* const> migrations();

}  // namespace naos::store
