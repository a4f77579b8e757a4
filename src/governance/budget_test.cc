// Budgets: hard/soft/warn enforcement, onExceed, alerts once per period,
// period rollover with an injected clock, reset, and reserve -> settle under
// 1,000 concurrent threads.
#include "governance/budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "test_support.h"

namespace naos::governance {
namespace {

using namespace std::chrono;
using project::BudgetConfig;
using project::BudgetPeriod;
using project::OnExceed;

constexpr int64_t kCent = project::kMicroCentsPerCent;

int64_t ms(sys_days day, hours h = hours(0)) {
  return duration_cast<milliseconds>((day + h).time_since_epoch()).count();
}

class BudgetTest : public ::testing::Test {
 protected:
  std::filesystem::path db_file() const { return dir_.path() / "nexus.db"; }
  std::unique_ptr<BudgetEnforcer> open(project::CostConfig config, AuditLog* audit = nullptr) {
    auto enforcer = BudgetEnforcer::open(db_file(), audit, clock_, std::move(config));
    EXPECT_TRUE(enforcer.has_value()) << enforcer.error().to_string();
    return std::move(*enforcer);
  }
  static project::CostConfig with(std::vector<BudgetConfig> budgets,
                                  project::Enforcement enforcement = project::Enforcement::kHard) {
    project::CostConfig config;
    config.enforcement = enforcement;
    for (auto& b : budgets) config.budgets[b.target] = b;
    return config;
  }
  testing::TempDir dir_;
  testing::FakeClock clock_{ms(sys_days(2024y / 2 / 29), hours(12))};
};

TEST_F(BudgetTest, HardEnforcementRefusesTheCallThatWouldCrossTheLimit) {
  auto budget = open(with({{"bot", 10, BudgetPeriod::kDay, OnExceed::kPause, 80}}));
  ASSERT_TRUE(budget->record("bot", 5 * kCent, "agent", "a"));
  ASSERT_TRUE(budget->record("bot", 5 * kCent, "agent", "b"));  // exactly the limit is allowed
  BudgetRefusal refusal;
  auto refused = budget->record("bot", 1, "agent", "c", &refusal);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kResourceExhausted);
  EXPECT_EQ(refusal.target, "bot");
  EXPECT_EQ(refusal.action, OnExceed::kPause);
  EXPECT_EQ(refusal.spent_microcents, 10 * kCent);
  EXPECT_EQ(*budget->ledger().spent_since("bot", 0), 10 * kCent);
  EXPECT_TRUE(*budget->exhausted("bot"));
  // Another agent has no budget of its own and there is no global one.
  EXPECT_TRUE(budget->record("other", 100 * kCent, "agent", ""));
  budget->check_invariants();
}

TEST_F(BudgetTest, ThrottlePacesPricedCallsSoTheBudgetLastsItsPeriod) {
  // $10.00 a day: $1.00 at once, the other $9.00 accruing evenly over the day.
  clock_ = testing::FakeClock(ms(sys_days(2024y / 3 / 1)));  // midnight UTC
  auto budget = open(with({{"bot", 1000, BudgetPeriod::kDay, OnExceed::kThrottle, 0}}));
  ASSERT_TRUE(budget->record("bot", 100 * kCent, "agent", "burst"));
  BudgetRefusal refusal;
  ASSERT_FALSE(budget->record("bot", 1 * kCent, "agent", "too soon", &refusal));
  EXPECT_EQ(refusal.action, OnExceed::kThrottle);
  EXPECT_EQ(refusal.limit_microcents, 100 * kCent);  // the pace at midnight
  clock_.advance(6 * 3600 * 1000);  // a quarter of the day: $1.00 + $2.25
  ASSERT_TRUE(budget->record("bot", 225 * kCent, "agent", "paced"));
  EXPECT_FALSE(budget->record("bot", 1 * kCent, "agent", "ahead of the pace"));
  clock_.advance(18 * 3600 * 1000 - 1);  // the last millisecond of the day: almost all of it
  EXPECT_TRUE(budget->record("bot", 674 * kCent, "agent", "late"));
  EXPECT_FALSE(budget->record("bot", 1 * kCent, "agent", "over the limit"));
  // The agent was never paused: throttling refuses calls, not the agent.
  EXPECT_EQ(*budget->ledger().spent_since("bot", 0), 999 * kCent);
}

TEST_F(BudgetTest, ThrottleOnATotalBudgetHasNoPace) {
  auto budget = open(with({{"bot", 10, BudgetPeriod::kTotal, OnExceed::kThrottle, 0}}));
  EXPECT_TRUE(budget->record("bot", 10 * kCent, "agent", "all of it"));
  EXPECT_FALSE(budget->record("bot", 1, "agent", "over"));
}

TEST_F(BudgetTest, SoftEnforcementLetsTheCrossingCallFinishAndRefusesTheNext) {
  auto budget = open(with({{"bot", 10, BudgetPeriod::kDay, OnExceed::kPause, 0}}, project::Enforcement::kSoft));
  ASSERT_TRUE(budget->record("bot", 8 * kCent, "agent", ""));
  ASSERT_TRUE(budget->record("bot", 8 * kCent, "agent", ""));  // crosses: allowed
  EXPECT_FALSE(budget->record("bot", 1, "agent", ""));
}

TEST_F(BudgetTest, WarnNeverRefuses) {
  auto budget = open(with({{"bot", 10, BudgetPeriod::kDay, OnExceed::kWarn, 0}}));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(budget->record("bot", 5 * kCent, "agent", ""));
  EXPECT_FALSE(*budget->exhausted("bot"));
  auto warn_all = open(with({{"bot", 10, BudgetPeriod::kDay, OnExceed::kPause, 0}}, project::Enforcement::kWarn));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(warn_all->record("bot", 5 * kCent, "agent", ""));
}

TEST_F(BudgetTest, TheGlobalBudgetCoversEveryAgentTogether) {
  auto budget = open(with({{"global", 10, BudgetPeriod::kMonth, OnExceed::kPause, 0}}));
  ASSERT_TRUE(budget->record("a", 6 * kCent, "agent", ""));
  BudgetRefusal refusal;
  EXPECT_FALSE(budget->record("b", 6 * kCent, "agent", "", &refusal));
  EXPECT_EQ(refusal.target, "global");
  EXPECT_TRUE(budget->record("b", 4 * kCent, "agent", ""));
}

TEST_F(BudgetTest, DailyBudgetRollsOverAtMidnightUtcOnALeapDay) {
  clock_ = testing::FakeClock(ms(sys_days(2024y / 2 / 29), hours(23)));
  auto budget = open(with({{"bot", 10, BudgetPeriod::kDay, OnExceed::kPause, 0}}));
  ASSERT_TRUE(budget->record("bot", 10 * kCent, "agent", ""));
  EXPECT_FALSE(budget->record("bot", 1, "agent", ""));
  clock_.advance(3'600'000 - 1);  // 23:59:59.999 on Feb 29: same day
  EXPECT_FALSE(budget->record("bot", 1, "agent", ""));
  clock_.advance(1);  // March 1, 00:00 UTC
  EXPECT_FALSE(*budget->exhausted("bot"));
  EXPECT_TRUE(budget->record("bot", 10 * kCent, "agent", ""));
}

TEST_F(BudgetTest, MonthlyBudgetRollsOverOnTheFirstAfterFebruary) {
  clock_ = testing::FakeClock(ms(sys_days(2023y / 2 / 28), hours(20)));
  auto budget = open(with({{"bot", 10, BudgetPeriod::kMonth, OnExceed::kPause, 0}}));
  ASSERT_TRUE(budget->record("bot", 10 * kCent, "agent", ""));
  clock_.advance(3'600'000 * 3);  // 23:00 on Feb 28, 2023
  EXPECT_FALSE(budget->record("bot", 1, "agent", ""));
  clock_.advance(3'600'000);  // March 1
  EXPECT_TRUE(budget->record("bot", 10 * kCent, "agent", ""));
}

TEST_F(BudgetTest, WeeklyBudgetRollsOverOnMonday) {
  clock_ = testing::FakeClock(ms(sys_days(2024y / 12 / 29), hours(12)));  // a Sunday
  auto budget = open(with({{"bot", 10, BudgetPeriod::kWeek, OnExceed::kPause, 0}}));
  ASSERT_TRUE(budget->record("bot", 10 * kCent, "agent", ""));
  EXPECT_FALSE(budget->record("bot", 1, "agent", ""));
  clock_.advance(12 * 3'600'000);  // Monday Dec 30, 00:00
  EXPECT_TRUE(budget->record("bot", 10 * kCent, "agent", ""));
}

TEST_F(BudgetTest, TotalBudgetNeverRollsOverButResetStartsAfresh) {
  auto budget = open(with({{"bot", 10, BudgetPeriod::kTotal, OnExceed::kPause, 0}}));
  ASSERT_TRUE(budget->record("bot", 10 * kCent, "agent", ""));
  clock_.advance(400LL * 86'400'000);
  EXPECT_FALSE(budget->record("bot", 1, "agent", ""));
  ASSERT_TRUE(budget->reset("bot", "test"));
  clock_.advance(1);
  EXPECT_TRUE(budget->record("bot", 10 * kCent, "agent", ""));
  EXPECT_EQ(*budget->ledger().spent_since("bot", INT64_MIN), 20 * kCent);  // rows are never deleted
  auto missing = budget->reset("nobody", "test");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
}

TEST_F(BudgetTest, ABudgetSetInTheDatabaseOverridesTheConfig) {
  auto budget = open(with({{"bot", 10, BudgetPeriod::kDay, OnExceed::kPause, 80}}));
  ASSERT_TRUE(budget->set_budget({"bot", 1000, BudgetPeriod::kWeek, OnExceed::kStop, 50}, "test"));
  auto found = *budget->budget("bot");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->limit_cents, 1000);
  EXPECT_EQ(found->period, BudgetPeriod::kWeek);
  EXPECT_EQ(found->on_exceed, OnExceed::kStop);
  EXPECT_TRUE(budget->record("bot", 500 * kCent, "agent", ""));
  EXPECT_FALSE(budget->set_budget({"bot", -1, BudgetPeriod::kDay, OnExceed::kPause, 80}, "test"));
  EXPECT_FALSE(budget->set_budget({"bot", 1, BudgetPeriod::kDay, OnExceed::kPause, 101}, "test"));
}

TEST_F(BudgetTest, AReservationIsReleasedUnlessSettledAndSettlesOnce) {
  auto budget = open(with({{"bot", 10, BudgetPeriod::kDay, OnExceed::kPause, 0}}));
  {
    auto held = budget->reserve("bot", 10 * kCent);
    ASSERT_TRUE(held);
    EXPECT_EQ((*budget->reserved())["bot"], 10 * kCent);
    EXPECT_FALSE(budget->reserve("bot", 1));  // all of it is reserved
  }
  EXPECT_TRUE(budget->reserved()->empty());
  auto again = budget->reserve("bot", 10 * kCent);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->settle(-1, "llm", "").error().code(), Code::kInvalidArgument);
  ASSERT_TRUE(again->settle(3 * kCent, "llm", "haiku"));  // actual below the maximum frees the rest
  EXPECT_FALSE(again->settle(1, "llm", ""));               // settled once only
  EXPECT_TRUE(budget->reserved()->empty());
  EXPECT_TRUE(budget->record("bot", 7 * kCent, "agent", ""));
  EXPECT_FALSE(budget->reserve("bot", -1));
  budget->check_invariants();
}

// A vendor that counts more tokens than the estimate has been paid all the
// same: the ledger holds the whole cost, marks the part no reservation
// admitted, and the call that crossed the limit is reported so that the
// agent pauses. The other call in flight keeps its room (I2 holds).
TEST_F(BudgetTest, ACostAboveItsReservationIsRecordedInFullAndReportsTheCrossing) {
  auto budget = open(with({{"bot", 10, BudgetPeriod::kDay, OnExceed::kPause, 0}}));
  auto first = budget->reserve("bot", 5 * kCent);
  auto second = budget->reserve("bot", 5 * kCent);
  ASSERT_TRUE(first && second);
  BudgetRefusal crossed;
  ASSERT_TRUE(first->settle(7 * kCent, "llm", "counted more", nlohmann::json::object(), &crossed));
  EXPECT_TRUE(crossed.target.empty());  // 7 of 10 cents: nothing crossed yet
  budget->check_invariants();           // 7 - 2 beyond + 5 reserved <= 10
  ASSERT_TRUE(second->settle(6 * kCent, "llm", "counted more", nlohmann::json::object(), &crossed));
  EXPECT_EQ(crossed.target, "bot");
  EXPECT_EQ(crossed.action, OnExceed::kPause);
  auto rows = *budget->ledger().rows_since("bot", 0);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].amount_microcents, 7 * kCent);
  EXPECT_EQ(rows[0].beyond_reservation_microcents, 2 * kCent);
  EXPECT_EQ(rows[1].beyond_reservation_microcents, 1 * kCent);
  EXPECT_EQ(*budget->ledger().spent_since("bot", 0), 13 * kCent);
  EXPECT_TRUE(*budget->exhausted("bot"));
  EXPECT_FALSE(budget->reserve("bot", 0 + 1));
  budget->check_invariants();
}

TEST_F(BudgetTest, CostsAlertsAndRefusalsAreAuditedAndTheAlertFiresOncePerPeriod) {
  auto audit = AuditLog::open(db_file(), dir_.path() / "audit.key", clock_);
  ASSERT_TRUE(audit) << audit.error().to_string();
  auto budget = open(with({{"bot", 10, BudgetPeriod::kDay, OnExceed::kPause, 80}}), audit->get());
  ASSERT_TRUE(budget->record("bot", 5 * kCent, "agent", "search"));
  ASSERT_TRUE(budget->record("bot", 3 * kCent, "agent", ""));  // 80%
  ASSERT_TRUE(budget->record("bot", 1 * kCent, "agent", ""));  // 90%: no second alert
  EXPECT_FALSE(budget->record("bot", 5 * kCent, "agent", ""));
  clock_.advance(86'400'000);                                   // next day: alert again
  ASSERT_TRUE(budget->record("bot", 9 * kCent, "agent", ""));
  auto db = store::Database::open(db_file());
  ASSERT_TRUE(db);
  auto count = [&](const char* type) {
    return query_audit(**db, {.action = std::string(type)})->size();
  };
  EXPECT_EQ(count(event::kCostRecorded), 4u);
  EXPECT_EQ(count(event::kCostAlert), 2u);
  EXPECT_EQ(count(event::kBudgetExceeded), 1u);
  auto recorded = *query_audit(**db, {.action = std::string(event::kCostRecorded), .last = 4});
  auto first = nlohmann::json::parse(recorded.front().payload);
  EXPECT_EQ(first["detail"], "$0.05");
  EXPECT_EQ(first["note"], "search");
  EXPECT_EQ(recorded.front().agent, "bot");
}

TEST_F(BudgetTest, StatusShowsSpentReservedAndTotalPerBudget) {
  auto budget = open(with({{"bot", 10, BudgetPeriod::kDay, OnExceed::kPause, 0}}));
  ASSERT_TRUE(budget->record("bot", 4 * kCent, "agent", ""));
  ASSERT_TRUE(budget->record("free", 2 * kCent, "agent", ""));
  auto held = budget->reserve("bot", 1 * kCent);
  ASSERT_TRUE(held);
  auto all = *budget->status();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].target, "bot");
  EXPECT_EQ(all[0].spent_microcents, 4 * kCent);
  EXPECT_EQ(all[0].reserved_microcents, 1 * kCent);
  EXPECT_EQ(all[0].window.end_ms, ms(sys_days(2024y / 3 / 1)));
  EXPECT_EQ(all[1].target, "free");
  EXPECT_FALSE(all[1].budget.has_value());
  EXPECT_EQ(all[1].total_microcents, 2 * kCent);
}

// STYLE rule 4 / issue 4: 1,000 concurrent priced calls never overspend.
// Every thread reserves 0.3 cents against a $1 budget (and a global $1.50)
// and settles the full amount; a watcher checks reserved + spent <= limit
// (check_invariants aborts otherwise) the whole time.
TEST_F(BudgetTest, ThousandConcurrentReservationsNeverOverspend) {
  auto budget = open(with({{"bot", 100, BudgetPeriod::kDay, OnExceed::kPause, 0},
                           {"global", 150, BudgetPeriod::kDay, OnExceed::kPause, 0}}));
  constexpr int kThreads = 1000;
  constexpr int64_t kAmount = 300'000;  // 0.3 cents
  std::atomic<int> granted{0}, refused{0};
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done) budget->check_invariants();
  });
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      while (!go) std::this_thread::yield();
      auto reservation = budget->reserve("bot", kAmount);
      if (!reservation) {
        EXPECT_EQ(reservation.error().code(), Code::kResourceExhausted);
        ++refused;
        return;
      }
      ++granted;
      budget->check_invariants();
      EXPECT_TRUE(reservation->settle(kAmount, "agent", "call " + std::to_string(i)));
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  done = true;
  watcher.join();
  budget->check_invariants();
  // $1 / 0.3 cents = 333 calls fit; the 334th would cross.
  EXPECT_EQ(granted.load(), 333);
  EXPECT_EQ(refused.load(), kThreads - 333);
  EXPECT_EQ(*budget->ledger().spent_since("bot", 0), 333 * kAmount);
  EXPECT_LE(*budget->ledger().spent_since("bot", 0), 100 * kCent);
}

// Half the threads abandon their reservation (released by the destructor):
// the released room is used by others, and the budget still holds.
TEST_F(BudgetTest, ConcurrentReleasedReservationsFreeTheirRoom) {
  auto budget = open(with({{"bot", 100, BudgetPeriod::kDay, OnExceed::kPause, 0}}));
  constexpr int kThreads = 1000;
  constexpr int64_t kAmount = 300'000;
  std::atomic<int> settled{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto reservation = budget->reserve("bot", kAmount);
      if (!reservation) return;
      budget->check_invariants();
      if (i % 2 == 0) return;  // released
      if (reservation->settle(kAmount / 3, "llm", "")) ++settled;
    });
  }
  for (auto& t : threads) t.join();
  budget->check_invariants();
  int64_t spent = *budget->ledger().spent_since("bot", 0);
  EXPECT_EQ(spent, settled.load() * (kAmount / 3));
  EXPECT_LE(spent, 100 * kCent);
  EXPECT_GT(settled.load(), 0);
}

}  // namespace
}  // namespace naos::governance
