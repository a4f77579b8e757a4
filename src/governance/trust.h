// Trust (AXIS) — an agent's T-Score, Trust Tier and Credit Rating, computed
// from its audit events alone (docs/trust.md has the formula with examples).
//
// compute_trust() is a pure function of (agent, events, inputs, now_ms): no
// clock, no I/O, no floating point. Every weight is an integer and time decay
// is fixed point in units of 1/kUnit, so the same audit log gives the same
// report, byte for byte, on any machine ("recomputable from the audit log").
//
// T-Score = five criteria of 20 points each (PRODUCT.md "Trust (AXIS)"):
//   signature      module hash == the hash of the newest axis.registered
//   audit_trail    clean runs vs failures, restarts and denials, decayed
//   cost           budget breaches and cost alerts, decayed
//   capabilities   share of granted capabilities used in the window
//   tests          share of declared tests passing (newest axis.verified)
// Tier: T1 90-100, T2 70-89, T3 50-69, T4 30-49, T5 0-29 (T1 is best).
// Credit Rating AAA..D from transaction reliability in the window.
//
// Gates (check_run_gate, check_capability_gate) turn a report and a policy
// into kPermissionDenied with context "trust" (TRUST_SCORE_LOW, 403).
//
// Layering: governance/ sits below project/, so the policy is TrustPolicy
// here, a field-for-field copy of project::TrustConfig (same enum values;
// trust_test.cc checks they agree); core converts field by field with
// static_cast.
//
// Threading: plain values and pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "governance/audit_log.h"

namespace naos::governance {

// Event types trust reads or writes (besides those of audit_log.h).
namespace event {
inline constexpr const char* kAxisRegistered = "axis.registered";
inline constexpr const char* kAxisVerified = "axis.verified";
inline constexpr const char* kTrustChanged = "trust.changed";
}  // namespace event

// Same numbering as project::TrustTier / project::CreditRating.
enum class Tier { kT1 = 1, kT2, kT3, kT4, kT5 };
enum class Rating { kAAA, kAA, kA, kBBB, kBB, kB, kCCC, kCC, kC, kD };

std::string_view tier_name(Tier tier);      // "T1"
std::string_view rating_name(Rating rating);  // "AAA"
std::optional<Tier> parse_tier(std::string_view name);
std::optional<Rating> parse_rating(std::string_view name);

// ---- the constants of the formula (docs/trust.md, one place) ---------------
namespace trust {
inline constexpr int64_t kUnit = int64_t{1} << 20;               // fixed point: 1.0
inline constexpr int64_t kHalfLifeMs = 7LL * 24 * 3600 * 1000;   // decay half-life: 7 days
inline constexpr int64_t kWindowMs = 30LL * 24 * 3600 * 1000;    // usage / credit window: 30 days
inline constexpr int kCriterionMax = 20;
// Audit trail: weights of bad events (the good event, agent.completed, weighs 1).
inline constexpr int64_t kFailedWeight = 2;      // agent.failed
inline constexpr int64_t kDeniedWeight = 2;      // capability.denied
inline constexpr int64_t kRestartWeight = 1;     // agent.restarted, supervisor.child_restart
inline constexpr int64_t kPriorCleanRuns = 1;    // a new agent starts as if it had one clean run
// Cost behaviour: penalty points per event, decayed.
inline constexpr int64_t kBreachPenalty = 10;    // budget.exceeded (not the cost.pause/throttle after it)
inline constexpr int64_t kAlertPenalty = 3;      // cost.alert
// Credit: credit per transaction, in per-mille of a full success.
inline constexpr int64_t kCreditCompleted = 1000;  // agent.completed, saga.completed
inline constexpr int64_t kCreditRolledBack = 250;  // saga.rolled_back
// saga.compensated is no transaction: it names the agent that compensated,
// whose run is already its agent.completed (a compensation that succeeds is
// good behaviour, not half a failure).
// agent.failed, saga.compensation_failed and each cost overrun: 0.
inline constexpr int64_t kThinHistory = 10;  // fewer transactions: rating at most A
// Reliability (per mille) needed for each rating, best first; below the last: D.
inline constexpr int64_t kRatingFloor[9] = {990, 970, 940, 900, 850, 800, 700, 600, 500};
// T-Score needed for T1..T4; below the last: T5.
inline constexpr int kTierFloor[4] = {90, 70, 50, 30};
// The capability names of the config (trust.capabilityTiers, capabilities:).
inline constexpr const char* kCapabilities[] = {"network", "filesystem", "env", "kv", "llm"};
}  // namespace trust

// 2^(-age/half-life) in units of 1/kUnit: exact at whole half-lives, linear in
// between, 0 from 20 half-lives on. A negative age counts as 0.
int64_t decay_factor(int64_t age_ms);
Tier tier_for(int t_score);
// `transactions` below kThinHistory caps the rating at A; none at all is BBB.
Rating rating_for(int64_t reliability_permille, int64_t transactions);
// "http" -> "network", "fs"/"filesystem" -> "filesystem", ...; "" if unknown.
std::string capability_of(std::string_view name);

// What the audit log cannot know, supplied by the caller.
struct TrustInputs {
  // SHA-256 of the agent's module as it is now; "" when there is none.
  std::string current_module_hash;
  // Capabilities the config grants (names of trust::kCapabilities).
  std::set<std::string> granted;
  // How many `tests` the config declares.
  int declared_tests = 0;
};

struct Criterion {
  std::string name;  // signature, audit_trail, cost, capabilities, tests
  int points = 0;    // 0..20
  int max = trust::kCriterionMax;
  std::string detail;      // one line for a person
  nlohmann::json factors;  // the numbers behind the points
};

struct TrustReport {
  std::string agent;
  int t_score = 0;
  Tier tier = Tier::kT5;
  Rating rating = Rating::kD;
  int64_t reliability_permille = 0;
  int64_t transactions = 0;
  std::vector<Criterion> criteria;  // in the order above
  int64_t computed_ms = 0;
  int64_t last_seq = 0;             // newest event considered
  bool registered = false;
  std::optional<int64_t> verified_ms;  // newest axis.verified that counts
};

// Reads only events whose `agent` is `agent` and whose ts_ms <= now_ms.
TrustReport compute_trust(std::string_view agent, const std::vector<AuditEvent>& events, const TrustInputs& inputs,
                          int64_t now_ms);

nlohmann::json to_json(const TrustReport& report);
// The tier last recorded by trust.changed for `agent` (its "to"), if any.
std::optional<Tier> recorded_tier(std::string_view agent, const std::vector<AuditEvent>& events);
// The payload of trust.changed when moving from `from` (none: first score).
nlohmann::json trust_changed_payload(std::optional<Tier> from, const TrustReport& report);

// ---- gates ------------------------------------------------------------------

inline constexpr int kTrustScoreLowNumber = 403;
inline constexpr const char* kTrustScoreLowName = "TRUST_SCORE_LOW";

// project::TrustConfig, restated below project/ (see the header comment).
struct TrustPolicy {
  std::optional<Tier> minimum_tier;
  std::optional<Rating> min_credit_rating;
  // trust.requirements.minTScore (the Nexus docs' form): the lowest T-Score
  // that may run, 0-100.
  std::optional<int> min_t_score;
  std::map<std::string, Tier> capability_tiers;  // the worst tier that may have it
};

// trust.minimumTier, trust.minCreditRating and the T-Score minimum. Errors: kPermissionDenied,
// context "trust", message starting "TRUST_SCORE_LOW".
Status check_run_gate(const TrustPolicy& policy, const TrustReport& report);
// trust.capabilityTiers for one capability (a config name, or a sandbox name
// like "http", mapped by capability_of). Same errors.
Status check_capability_gate(const TrustPolicy& policy, const TrustReport& report, std::string_view capability);
// Of `granted`, those the policy takes away at this report's tier, sorted.
std::vector<std::string> gated_capabilities(const TrustPolicy& policy, const TrustReport& report,
                                            const std::set<std::string>& granted);

}  // namespace naos::governance
