#include "governance/trust.h"

#include <algorithm>
#include <array>

#include "base/clock.h"

namespace naos::governance {
namespace {

constexpr std::array<std::string_view, 5> kTierNames = {"T1", "T2", "T3", "T4", "T5"};
constexpr std::array<std::string_view, 10> kRatingNames = {"AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"};

// One refused priced call is one budget.exceeded; the cost.pause or
// cost.throttle that follows it is its consequence, not a second breach.
bool is_breach(std::string_view type) { return type == "budget.exceeded"; }

// The payload as JSON; an unparsable payload reads as an empty object.
nlohmann::json payload_of(const AuditEvent& e) {
  auto parsed = nlohmann::json::parse(e.payload, nullptr, false);
  return parsed.is_object() ? parsed : nlohmann::json::object();
}

std::string string_field(const nlohmann::json& payload, const char* key) {
  auto it = payload.find(key);
  return it != payload.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t int_field(const nlohmann::json& payload, const char* key) {
  auto it = payload.find(key);
  return it != payload.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

// points = floor(20 * numerator / denominator), 20 when there is nothing to divide.
int share_points(int64_t numerator, int64_t denominator) {
  if (denominator <= 0) return trust::kCriterionMax;
  return static_cast<int>(trust::kCriterionMax * numerator / denominator);
}

std::string short_hash(const std::string& hash) { return hash.empty() ? "-" : hash.substr(0, 12); }

}  // namespace

std::string_view tier_name(Tier tier) { return kTierNames[static_cast<int>(tier) - 1]; }
std::string_view rating_name(Rating rating) { return kRatingNames[static_cast<int>(rating)]; }

std::optional<Tier> parse_tier(std::string_view name) {
  for (size_t i = 0; i < kTierNames.size(); ++i) {
    if (kTierNames[i] == name) return static_cast<Tier>(i + 1);
  }
  return std::nullopt;
}

std::optional<Rating> parse_rating(std::string_view name) {
  for (size_t i = 0; i < kRatingNames.size(); ++i) {
    if (kRatingNames[i] == name) return static_cast<Rating>(i);
  }
  return std::nullopt;
}

int64_t decay_factor(int64_t age_ms) {
  if (age_ms < 0) age_ms = 0;
  int64_t halvings = age_ms / trust::kHalfLifeMs;
  if (halvings >= 20) return 0;
  int64_t at_start = trust::kUnit >> halvings;  // 2^-k, exact
  int64_t into = age_ms % trust::kHalfLifeMs;
  // Linear from 2^-k down to 2^-(k+1) across the half-life.
  return at_start - (at_start / 2) * into / trust::kHalfLifeMs;
}

Tier tier_for(int t_score) {
  for (int i = 0; i < 4; ++i) {
    if (t_score >= trust::kTierFloor[i]) return static_cast<Tier>(i + 1);
  }
  return Tier::kT5;
}

Rating rating_for(int64_t reliability_permille, int64_t transactions) {
  if (transactions <= 0) return Rating::kBBB;
  Rating rating = Rating::kD;
  for (int i = 0; i < 9; ++i) {
    if (reliability_permille >= trust::kRatingFloor[i]) {
      rating = static_cast<Rating>(i);
      break;
    }
  }
  if (transactions < trust::kThinHistory && rating < Rating::kA) rating = Rating::kA;
  return rating;
}

std::string capability_of(std::string_view name) {
  if (name == "network" || name == "http") return "network";
  if (name == "filesystem" || name == "fs" || name == "read" || name == "write") return "filesystem";
  if (name == "env") return "env";
  if (name == "kv") return "kv";
  if (name == "llm") return "llm";
  return "";
}

TrustReport compute_trust(std::string_view agent, const std::vector<AuditEvent>& events, const TrustInputs& inputs,
                          int64_t now_ms) {
  TrustReport report;
  report.agent = std::string(agent);
  report.computed_ms = now_ms;
  const int64_t window_start = now_ms - trust::kWindowMs;

  std::string registered_hash;
  std::optional<AuditEvent> verified;
  int64_t good = 0, bad = 0, cost_penalty = 0;
  int64_t completed = 0, failed = 0, denials = 0, restarts = 0, breaches = 0, alerts = 0;
  // Credit, in the window.
  int64_t w_completed = 0, w_failed = 0, w_saga_completed = 0, w_rolled_back = 0,
          w_compensation_failed = 0, w_overruns = 0;
  std::set<std::string> used;

  for (const auto& e : events) {
    if (e.agent != agent || e.ts_ms > now_ms) continue;
    report.last_seq = std::max(report.last_seq, e.seq);
    const int64_t decay = decay_factor(now_ms - e.ts_ms);
    const bool in_window = e.ts_ms >= window_start;
    const std::string& type = e.type;
    if (type == event::kAxisRegistered) {
      registered_hash = string_field(payload_of(e), "module_hash");
    } else if (type == event::kAxisVerified) {
      verified = e;
    } else if (type == event::kAgentCompleted) {
      ++completed, good += decay;
      if (in_window) ++w_completed;
    } else if (type == event::kAgentFailed) {
      ++failed, bad += trust::kFailedWeight * decay;
      if (in_window) ++w_failed;
    } else if (type == event::kCapabilityDenied) {
      ++denials, bad += trust::kDeniedWeight * decay;
      if (in_window) {
        auto capability = capability_of(string_field(payload_of(e), "capability"));
        if (!capability.empty()) used.insert(capability);  // it tried: the grant is not idle
      }
    } else if (type == event::kAgentRestarted || type == "supervisor.child_restart") {
      ++restarts, bad += trust::kRestartWeight * decay;
    } else if (is_breach(type)) {
      ++breaches, cost_penalty += trust::kBreachPenalty * decay;
      if (in_window) ++w_overruns;
    } else if (type == "cost.alert") {
      ++alerts, cost_penalty += trust::kAlertPenalty * decay;
    } else if (type == "saga.completed") {
      if (in_window) ++w_saga_completed;
    } else if (type == "saga.rolled_back") {
      if (in_window) ++w_rolled_back;
    } else if (type == "saga.compensation_failed") {
      if (in_window) ++w_compensation_failed;
    }
    // Events that show a capability in use: a run's own list of what it
    // called, a capability.used event, a priced call.
    if (in_window && (type == event::kAgentCompleted || type == event::kAgentFailed)) {
      auto payload = payload_of(e);
      if (auto list = payload.find("capabilities_used"); list != payload.end() && list->is_array()) {
        for (const auto& name : *list) {
          auto capability = name.is_string() ? capability_of(name.get<std::string>()) : std::string();
          if (!capability.empty()) used.insert(capability);
        }
      }
    }
    if (in_window && (type == "capability.used" || type == "cost.recorded")) {
      auto payload = payload_of(e);
      auto capability = capability_of(string_field(payload, "capability"));
      if (capability.empty()) capability = capability_of(string_field(payload, "source"));
      if (capability.empty() && type == "cost.recorded" && payload.contains("model")) capability = "llm";
      if (!capability.empty()) used.insert(capability);
    }
  }

  // 1. Signature.
  {
    Criterion c{.name = "signature"};
    report.registered = !registered_hash.empty();
    bool matches = report.registered && registered_hash == inputs.current_module_hash;
    c.points = matches ? trust::kCriterionMax : 0;
    c.detail = !report.registered                      ? "not registered (naos axis register)"
               : inputs.current_module_hash.empty()    ? "registered, but there is no module"
               : matches                               ? "module matches its registration"
                                                       : "module changed since registration";
    c.factors = {{"registered_hash", registered_hash},
                 {"current_hash", inputs.current_module_hash},
                 {"matches", matches}};
    report.criteria.push_back(std::move(c));
  }
  // 2. Audit trail.
  {
    Criterion c{.name = "audit_trail"};
    const int64_t prior = trust::kPriorCleanRuns * trust::kUnit;
    c.points = share_points(good + prior, good + prior + bad);
    c.detail = std::to_string(completed) + " completed, " + std::to_string(failed) + " failed, " +
               std::to_string(restarts) + " restarts, " + std::to_string(denials) + " denials";
    c.factors = {{"completed", completed}, {"failed", failed},   {"restarts", restarts},
                 {"denials", denials},     {"good_fixed", good}, {"bad_fixed", bad},
                 {"prior_fixed", prior},   {"unit", trust::kUnit}};
    report.criteria.push_back(std::move(c));
  }
  // 3. Cost behaviour.
  {
    Criterion c{.name = "cost"};
    int64_t lost = std::min<int64_t>(trust::kCriterionMax, cost_penalty / trust::kUnit);
    c.points = trust::kCriterionMax - static_cast<int>(lost);
    c.detail = std::to_string(breaches) + " budget breaches, " + std::to_string(alerts) + " cost alerts";
    c.factors = {{"breaches", breaches}, {"alerts", alerts}, {"penalty_fixed", cost_penalty}, {"unit", trust::kUnit}};
    report.criteria.push_back(std::move(c));
  }
  // 4. Capabilities.
  {
    Criterion c{.name = "capabilities"};
    std::vector<std::string> granted(inputs.granted.begin(), inputs.granted.end()), in_use, unused;
    for (const auto& g : granted) (used.count(g) ? in_use : unused).push_back(g);
    c.points = share_points(static_cast<int64_t>(in_use.size()), static_cast<int64_t>(granted.size()));
    c.detail = granted.empty() ? "no grants"
                               : std::to_string(in_use.size()) + " of " + std::to_string(granted.size()) +
                                     " grants used in the last 30 days";
    c.factors = {{"granted", granted}, {"used", in_use}, {"unused", unused}};
    report.criteria.push_back(std::move(c));
  }
  // 5. Test coverage.
  {
    Criterion c{.name = "tests"};
    int64_t passed = 0, total = 0;
    std::string tested_hash;
    bool stale = false;
    if (verified) {
      auto payload = payload_of(*verified);
      passed = int_field(payload, "passed");
      total = int_field(payload, "total");
      tested_hash = string_field(payload, "module_hash");
      stale = !tested_hash.empty() && tested_hash != inputs.current_module_hash;
      if (!stale) report.verified_ms = verified->ts_ms;
    }
    int64_t denominator = std::max<int64_t>(total, inputs.declared_tests);
    passed = std::clamp<int64_t>(passed, 0, denominator);
    c.points = stale || denominator == 0 ? 0 : share_points(passed, denominator);
    c.detail = denominator == 0 ? "no tests declared"
               : !verified      ? "not verified (naos axis verify)"
               : stale          ? "verified module " + short_hash(tested_hash) + " is not the current one"
                                : std::to_string(passed) + " of " + std::to_string(denominator) + " tests pass";
    c.factors = {{"passed", passed}, {"total", total}, {"declared", inputs.declared_tests}, {"stale", stale}};
    report.criteria.push_back(std::move(c));
  }
  for (const auto& c : report.criteria) report.t_score += c.points;
  report.tier = tier_for(report.t_score);

  // Credit Rating.
  report.transactions = w_completed + w_failed + w_saga_completed + w_rolled_back + w_compensation_failed + w_overruns;
  int64_t credit = trust::kCreditCompleted * (w_completed + w_saga_completed) + trust::kCreditRolledBack * w_rolled_back;
  report.reliability_permille = report.transactions == 0 ? 0 : credit / report.transactions;
  report.rating = rating_for(report.reliability_permille, report.transactions);
  return report;
}

nlohmann::json to_json(const TrustReport& report) {
  nlohmann::json criteria = nlohmann::json::array();
  for (const auto& c : report.criteria) {
    criteria.push_back(
        {{"name", c.name}, {"points", c.points}, {"max", c.max}, {"detail", c.detail}, {"factors", c.factors}});
  }
  return {{"agent", report.agent},
          {"t_score", report.t_score},
          {"tier", tier_name(report.tier)},
          {"rating", rating_name(report.rating)},
          {"reliability_permille", report.reliability_permille},
          {"transactions", report.transactions},
          {"registered", report.registered},
          {"verified", report.verified_ms ? nlohmann::json(format_utc_ms(*report.verified_ms)) : nlohmann::json()},
          {"computed", format_utc_ms(report.computed_ms)},
          {"computed_ms", report.computed_ms},
          {"last_seq", report.last_seq},
          {"criteria", criteria}};
}

std::optional<Tier> recorded_tier(std::string_view agent, const std::vector<AuditEvent>& events) {
  std::optional<Tier> tier;
  for (const auto& e : events) {
    if (e.agent != agent || e.type != event::kTrustChanged) continue;
    tier = parse_tier(string_field(payload_of(e), "to"));
  }
  return tier;
}

nlohmann::json trust_changed_payload(std::optional<Tier> from, const TrustReport& report) {
  return {{"from", from ? nlohmann::json(tier_name(*from)) : nlohmann::json()},
          {"to", tier_name(report.tier)},
          {"t_score", report.t_score},
          {"rating", rating_name(report.rating)},
          {"last_seq", report.last_seq}};
}

namespace {

std::string standing(const TrustReport& report) {
  return report.agent + " is " + std::string(tier_name(report.tier)) + " (T-Score " +
         std::to_string(report.t_score) + ", rating " + std::string(rating_name(report.rating)) + ")";
}

Error trust_denied(const TrustReport& report, const std::string& why) {
  return Error(Code::kPermissionDenied, std::string(kTrustScoreLowName) + ": " + standing(report) + ", " + why,
               report.agent);
}

}  // namespace

Status check_run_gate(const TrustPolicy& policy, const TrustReport& report) {
  if (policy.minimum_tier && report.tier > *policy.minimum_tier) {
    return trust_denied(report, "below trust.minimumTier " + std::string(tier_name(*policy.minimum_tier)));
  }
  if (policy.min_t_score && report.t_score < *policy.min_t_score) {
    return trust_denied(report, "under trust.requirements.minTScore " + std::to_string(*policy.min_t_score));
  }
  if (policy.min_credit_rating && report.rating > *policy.min_credit_rating) {
    return trust_denied(report,
                        "below trust.minCreditRating " + std::string(rating_name(*policy.min_credit_rating)));
  }
  return ok();
}

Status check_capability_gate(const TrustPolicy& policy, const TrustReport& report, std::string_view capability) {
  std::string name = capability_of(capability);
  auto it = policy.capability_tiers.find(name.empty() ? std::string(capability) : name);
  if (it == policy.capability_tiers.end() || report.tier <= it->second) return ok();
  return trust_denied(report, "below trust.capabilityTiers." + it->first + " " + std::string(tier_name(it->second)));
}

std::vector<std::string> gated_capabilities(const TrustPolicy& policy, const TrustReport& report,
                                            const std::set<std::string>& granted) {
  std::vector<std::string> out;
  for (const auto& g : granted) {
    if (!check_capability_gate(policy, report, g)) out.push_back(g);
  }
  return out;
}

}  // namespace naos::governance
