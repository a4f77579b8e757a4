// The trust formula on fixed histories: the numbers docs/trust.md documents.
#include "governance/trust.h"

#include <gtest/gtest.h>

#include "project/config.h"

namespace naos::governance {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kDay = 86'400'000;
constexpr int64_t kU = trust::kUnit;

// Builds an agent's history in seq order.
class History {
 public:
  explicit History(std::string agent = "bot") : agent_(std::move(agent)) {}
  History& add(std::string type, int64_t age_ms = 0, nlohmann::json payload = nlohmann::json::object(),
               int times = 1) {
    for (int i = 0; i < times; ++i) {
      AuditEvent e;
      e.seq = static_cast<int64_t>(events_.size()) + 1;
      e.ts_ms = kNow - age_ms;
      e.actor = "test";
      e.agent = agent_;
      e.type = type;
      e.payload = payload.dump();
      events_.push_back(std::move(e));
    }
    return *this;
  }
  const std::vector<AuditEvent>& events() const { return events_; }

 private:
  std::string agent_;
  std::vector<AuditEvent> events_;
};

int points(const TrustReport& report, const std::string& name) {
  for (const auto& c : report.criteria) {
    if (c.name == name) return c.points;
  }
  ADD_FAILURE() << "no criterion " << name;
  return -1;
}

// docs/trust.md, example A: a well-behaved, registered, mostly tested agent.
History example_a() {
  History h;
  h.add("axis.registered", 10 * kDay, {{"module_hash", "h1"}});
  h.add("agent.completed", 0, {}, 8);
  h.add("agent.completed", 0, {{"capabilities_used", {"kv"}}});
  h.add("agent.failed", 0);
  h.add("capability.used", kDay, {{"capability", "network"}});
  h.add("axis.verified", 0, {{"passed", 3}, {"total", 4}, {"module_hash", "h1"}});
  return h;
}
TrustInputs inputs_a() {
  return {.current_module_hash = "h1", .granted = {"kv", "network"}, .declared_tests = 4};
}

// docs/trust.md, example B: old failures, a recent budget breach, idle grants.
History example_b() {
  History h;
  h.add("axis.registered", 20 * kDay, {{"module_hash", "h1"}});
  h.add("agent.failed", 7 * kDay, {}, 2);
  h.add("cost.alert", 14 * kDay);
  h.add("budget.exceeded", 7 * kDay / 2);
  h.add("cost.recorded", kDay, {{"model", "gpt-4o-mini"}, {"cents", 5}});
  h.add("agent.completed", 0, {}, 4);
  h.add("axis.verified", 0, {{"passed", 5}, {"total", 5}, {"module_hash", "h1"}});
  return h;
}
TrustInputs inputs_b() {
  return {.current_module_hash = "h1", .granted = {"kv", "llm", "network"}, .declared_tests = 5};
}

TEST(TrustDecay, IsExactAtHalfLivesAndLinearBetween) {
  EXPECT_EQ(decay_factor(0), kU);
  EXPECT_EQ(decay_factor(-5), kU);
  EXPECT_EQ(decay_factor(trust::kHalfLifeMs), kU / 2);
  EXPECT_EQ(decay_factor(2 * trust::kHalfLifeMs), kU / 4);
  EXPECT_EQ(decay_factor(trust::kHalfLifeMs / 2), 786'432);  // 0.75
  EXPECT_EQ(decay_factor(19 * trust::kHalfLifeMs), 2);
  EXPECT_EQ(decay_factor(20 * trust::kHalfLifeMs), 0);
  for (int64_t age = 0; age < 21 * trust::kHalfLifeMs; age += trust::kHalfLifeMs / 3) {
    EXPECT_GE(decay_factor(age), decay_factor(age + 1)) << age;
  }
}

TEST(TrustTiers, BoundariesMatchTheTable) {
  EXPECT_EQ(tier_for(100), Tier::kT1);
  EXPECT_EQ(tier_for(90), Tier::kT1);
  EXPECT_EQ(tier_for(89), Tier::kT2);
  EXPECT_EQ(tier_for(70), Tier::kT2);
  EXPECT_EQ(tier_for(69), Tier::kT3);
  EXPECT_EQ(tier_for(50), Tier::kT3);
  EXPECT_EQ(tier_for(49), Tier::kT4);
  EXPECT_EQ(tier_for(30), Tier::kT4);
  EXPECT_EQ(tier_for(29), Tier::kT5);
  EXPECT_EQ(tier_for(0), Tier::kT5);
}

TEST(TrustRatings, BoundariesMatchTheTable) {
  const std::pair<int64_t, Rating> table[] = {
      {1000, Rating::kAAA}, {990, Rating::kAAA}, {989, Rating::kAA}, {970, Rating::kAA}, {969, Rating::kA},
      {940, Rating::kA},    {939, Rating::kBBB}, {900, Rating::kBBB}, {899, Rating::kBB}, {850, Rating::kBB},
      {849, Rating::kB},    {800, Rating::kB},   {799, Rating::kCCC}, {700, Rating::kCCC}, {699, Rating::kCC},
      {600, Rating::kCC},   {599, Rating::kC},   {500, Rating::kC},   {499, Rating::kD},   {0, Rating::kD}};
  for (const auto& [permille, rating] : table) {
    EXPECT_EQ(rating_for(permille, 100), rating) << permille;
  }
  EXPECT_EQ(rating_for(0, 0), Rating::kBBB);     // no history
  EXPECT_EQ(rating_for(1000, 9), Rating::kA);    // thin history is capped at A
  EXPECT_EQ(rating_for(1000, 10), Rating::kAAA);
  EXPECT_EQ(rating_for(400, 3), Rating::kD);     // the cap never raises
}

TEST(TrustNames, RoundTripAndAgreeWithTheConfigEnums) {
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(parse_tier(tier_name(static_cast<Tier>(i))), static_cast<Tier>(i));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(parse_rating(rating_name(static_cast<Rating>(i))), static_cast<Rating>(i));
  EXPECT_EQ(parse_tier("T6"), std::nullopt);
  EXPECT_EQ(parse_rating("E"), std::nullopt);
  // TrustPolicy restates project::TrustConfig below project/: same numbering.
  static_assert(static_cast<int>(project::TrustTier::kT1) == static_cast<int>(Tier::kT1));
  static_assert(static_cast<int>(project::TrustTier::kT5) == static_cast<int>(Tier::kT5));
  static_assert(static_cast<int>(project::CreditRating::kAAA) == static_cast<int>(Rating::kAAA));
  static_assert(static_cast<int>(project::CreditRating::kD) == static_cast<int>(Rating::kD));
  EXPECT_EQ(project::enum_name(project::TrustTier::kT3), tier_name(Tier::kT3));
  EXPECT_EQ(project::enum_name(project::CreditRating::kBBB), rating_name(Rating::kBBB));
}

TEST(TrustScore, ExampleAGivesTheDocumentedNumbers) {
  auto report = compute_trust("bot", example_a().events(), inputs_a(), kNow);
  EXPECT_EQ(points(report, "signature"), 20);
  EXPECT_EQ(points(report, "audit_trail"), 16);   // 20 * (9 + 1) / (9 + 1 + 2)
  EXPECT_EQ(points(report, "cost"), 20);
  EXPECT_EQ(points(report, "capabilities"), 20);  // kv (a run's capabilities_used) and network (capability.used)
  EXPECT_EQ(points(report, "tests"), 15);         // 20 * 3 / 4
  EXPECT_EQ(report.t_score, 91);
  EXPECT_EQ(report.tier, Tier::kT1);
  EXPECT_EQ(report.transactions, 10);
  EXPECT_EQ(report.reliability_permille, 900);
  EXPECT_EQ(report.rating, Rating::kBBB);
  EXPECT_TRUE(report.registered);
  EXPECT_EQ(report.last_seq, 13);
}

TEST(TrustScore, ExampleBGivesTheDocumentedNumbers) {
  auto report = compute_trust("bot", example_b().events(), inputs_b(), kNow);
  EXPECT_EQ(points(report, "signature"), 20);
  EXPECT_EQ(points(report, "audit_trail"), 14);   // 20 * (4 + 1) / (4 + 1 + 2*2*0.5)
  EXPECT_EQ(points(report, "cost"), 12);          // 20 - floor(10*0.75 + 3*0.25)
  EXPECT_EQ(points(report, "capabilities"), 6);   // llm only: 20 * 1 / 3
  EXPECT_EQ(points(report, "tests"), 20);
  EXPECT_EQ(report.t_score, 72);
  EXPECT_EQ(report.tier, Tier::kT2);
  EXPECT_EQ(report.transactions, 7);              // 4 completed, 2 failed, 1 overrun
  EXPECT_EQ(report.reliability_permille, 571);
  EXPECT_EQ(report.rating, Rating::kC);
  const auto& cost = report.criteria[2].factors;
  EXPECT_EQ(cost["penalty_fixed"], 10 * 786'432 + 3 * 262'144);
}

TEST(TrustScore, SagasCountTowardTheCreditRating) {
  History h;
  h.add("agent.completed", kDay, {}, 40);
  h.add("saga.rolled_back", kDay, {}, 2);
  auto report = compute_trust("bot", h.events(), {}, kNow);
  EXPECT_EQ(report.transactions, 42);
  EXPECT_EQ(report.reliability_permille, 964);  // (40*1000 + 2*250) / 42
  EXPECT_EQ(report.rating, Rating::kA);
  // Outside the 30-day window nothing counts.
  History old;
  old.add("agent.failed", 31 * kDay, {}, 5).add("saga.rolled_back", kDay).add("saga.completed", kDay, {}, 3);
  auto later = compute_trust("bot", old.events(), {}, kNow);
  EXPECT_EQ(later.transactions, 4);
  EXPECT_EQ(later.reliability_permille, 812);  // (3*1000 + 250) / 4
  EXPECT_EQ(later.rating, Rating::kB);         // the thin-history cap only ever lowers
}

// Issue 11: an agent that only ever compensated (each run an agent.completed,
// each followed by the saga's saga.compensated naming it) fell to CCC.
TEST(TrustScore, ASuccessfulCompensationIsGoodBehaviour) {
  History h;
  h.add("agent.completed", kDay, {}, 12);
  h.add("saga.compensated", kDay, {}, 12);
  auto report = compute_trust("bot", h.events(), {}, kNow);
  EXPECT_EQ(report.transactions, 12);
  EXPECT_EQ(report.reliability_permille, 1000);
  EXPECT_EQ(report.rating, Rating::kAAA);
}

TEST(TrustScore, ANewAgentStartsAtSixty) {
  auto report = compute_trust("bot", {}, {.current_module_hash = "h1"}, kNow);
  // No registration (0), clean trail (20), no breaches (20), no grants (20), no tests (0).
  EXPECT_EQ(report.t_score, 60);
  EXPECT_EQ(report.tier, Tier::kT3);
  EXPECT_EQ(report.rating, Rating::kBBB);
  EXPECT_FALSE(report.registered);
}

TEST(TrustScore, AChangedModuleLosesSignatureAndTests) {
  auto report = compute_trust("bot", example_a().events(), [] {
    auto in = inputs_a();
    in.current_module_hash = "h2";
    return in;
  }(), kNow);
  EXPECT_EQ(points(report, "signature"), 0);
  EXPECT_EQ(points(report, "tests"), 0);
  EXPECT_EQ(report.t_score, 56);
  EXPECT_EQ(report.tier, Tier::kT3);
  EXPECT_FALSE(report.verified_ms.has_value());
}

TEST(TrustScore, OnlyTheAgentsOwnEventsUpToNowCount) {
  History h = example_a();
  History other("someone_else");
  other.add("agent.failed", 0, {}, 50);
  auto events = h.events();
  for (auto e : other.events()) events.push_back(e);
  AuditEvent future = events.front();
  future.type = "agent.failed";
  future.ts_ms = kNow + 1;
  events.push_back(future);
  EXPECT_EQ(to_json(compute_trust("bot", events, inputs_a(), kNow)),
            to_json(compute_trust("bot", h.events(), inputs_a(), kNow)));
}

TEST(TrustScore, RecomputingFromTheSameEventsGivesTheSameReport) {
  auto events = example_b().events();
  auto first = to_json(compute_trust("bot", events, inputs_b(), kNow));
  auto second = to_json(compute_trust("bot", events, inputs_b(), kNow));
  EXPECT_EQ(first.dump(), second.dump());
  // Through the JSON text an audit log stores, too.
  for (auto& e : events) e.payload = nlohmann::json::parse(e.payload).dump();
  EXPECT_EQ(to_json(compute_trust("bot", events, inputs_b(), kNow)).dump(), first.dump());
}

TEST(TrustScore, RepeatedDenialsDropTheTierAndLoseAGatedCapability) {
  TrustPolicy policy{.capability_tiers = {{"network", Tier::kT1}}};
  History h = example_a();
  auto before = compute_trust("bot", h.events(), inputs_a(), kNow);
  ASSERT_EQ(before.tier, Tier::kT1);
  EXPECT_TRUE(check_capability_gate(policy, before, "network").has_value());
  for (int run = 0; run < 5; ++run) {
    h.add("agent.started").add("capability.denied", 0, {{"capability", "network"}, {"detail", "host not allowed"}}, 3);
    h.add("agent.completed");
  }
  auto after = compute_trust("bot", h.events(), inputs_a(), kNow);
  EXPECT_EQ(points(after, "audit_trail"), 6);  // 20 * (14 + 1) / (14 + 1 + 2 + 30)
  EXPECT_EQ(after.t_score, 81);
  EXPECT_EQ(after.tier, Tier::kT2);
  auto gate = check_capability_gate(policy, after, "http");  // the sandbox's name for network
  ASSERT_FALSE(gate.has_value());
  EXPECT_EQ(gate.error().code(), Code::kPermissionDenied);
  EXPECT_EQ(gate.error().message().rfind("TRUST_SCORE_LOW: ", 0), 0u) << gate.error().message();
  EXPECT_EQ(gated_capabilities(policy, after, {"kv", "network"}), std::vector<std::string>{"network"});
  EXPECT_TRUE(gated_capabilities(policy, before, {"kv", "network"}).empty());
  // After twenty half-lives (140 days) they are forgotten.
  auto much_later = compute_trust("bot", h.events(), inputs_a(), kNow + 20 * trust::kHalfLifeMs);
  EXPECT_EQ(points(much_later, "audit_trail"), 20);
}

TEST(TrustGate, MinimumTierAndRatingGateRunning) {
  auto report = compute_trust("bot", example_b().events(), inputs_b(), kNow);  // T2, C
  EXPECT_TRUE(check_run_gate({}, report).has_value());
  EXPECT_TRUE(check_run_gate({.minimum_tier = Tier::kT2}, report).has_value());
  EXPECT_TRUE(check_run_gate({.minimum_tier = Tier::kT3}, report).has_value());
  auto tier = check_run_gate({.minimum_tier = Tier::kT1}, report);
  ASSERT_FALSE(tier.has_value());
  EXPECT_EQ(tier.error().code(), Code::kPermissionDenied);
  EXPECT_EQ(tier.error().context(), "bot");
  EXPECT_NE(tier.error().message().find("trust.minimumTier T1"), std::string::npos);
  EXPECT_TRUE(check_run_gate({.min_credit_rating = Rating::kC}, report).has_value());
  auto rating = check_run_gate({.min_credit_rating = Rating::kBBB}, report);
  ASSERT_FALSE(rating.has_value());
  EXPECT_NE(rating.error().message().find("trust.minCreditRating BBB"), std::string::npos);
  // An ungated capability is always allowed.
  EXPECT_TRUE(check_capability_gate({.capability_tiers = {{"kv", Tier::kT1}}}, report, "llm").has_value());
}

TEST(TrustChanged, TheRecordedTierIsTheNewestTrustChanged) {
  History h;
  EXPECT_EQ(recorded_tier("bot", h.events()), std::nullopt);
  auto report = compute_trust("bot", example_a().events(), inputs_a(), kNow);
  auto payload = trust_changed_payload(std::nullopt, report);
  EXPECT_TRUE(payload["from"].is_null());
  EXPECT_EQ(payload["to"], "T1");
  h.add("trust.changed", 0, payload);
  h.add("trust.changed", 0, trust_changed_payload(Tier::kT1, compute_trust("bot", example_b().events(), inputs_b(), kNow)));
  EXPECT_EQ(recorded_tier("bot", h.events()), Tier::kT2);
  EXPECT_EQ(recorded_tier("other", h.events()), std::nullopt);
}

}  // namespace
}  // namespace naos::governance
