// Budgets hold across processes: a reservation made by one process counts
// against the budget in every other, a process killed while it holds one
// frees it, and a thousand calls from four processes at once never overspend.
// The other processes are real: tests/tools/budget_client.cc on the same
// database file.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <thread>

#include "base/process.h"
#include "governance/budget.h"
#include "test_support.h"

namespace naos::governance {
namespace {

using project::BudgetPeriod;
using project::OnExceed;

constexpr int64_t kCent = project::kMicroCentsPerCent;

class BudgetAcrossProcesses : public ::testing::Test {
 protected:
  std::string db_file() const { return (dir_.path() / "nexus.db").string(); }
  // This process's enforcer on the same file and the same budget as the clients'.
  std::unique_ptr<BudgetEnforcer> Open(int64_t limit_cents) {
    project::CostConfig config;
    config.budgets["bot"] = {"bot", limit_cents, BudgetPeriod::kDay, OnExceed::kPause, 0};
    auto enforcer = BudgetEnforcer::open(db_file(), nullptr, clock_, config);
    EXPECT_TRUE(enforcer.has_value()) << enforcer.error().to_string();
    return std::move(*enforcer);
  }
  std::unique_ptr<testing::ChildProcess> Hold(int64_t limit_cents, int64_t amount) {
    return std::make_unique<testing::ChildProcess>(std::vector<std::string>{
        NAOS_BUDGET_CLIENT, db_file(), "bot", std::to_string(limit_cents), "hold", std::to_string(amount)});
  }
  static int64_t Reserved(BudgetEnforcer& budget) {
    auto reserved = budget.reserved();
    EXPECT_TRUE(reserved) << reserved.error().to_string();
    return reserved && reserved->count("bot") ? reserved->at("bot") : 0;
  }

  testing::TempDir dir_;
  SystemClock clock_;
};

TEST_F(BudgetAcrossProcesses, AReservationInOneProcessHoldsItsRoomAgainstAnother) {
  auto budget = Open(10);
  auto other = Hold(10, 8 * kCent);
  ASSERT_EQ(other->read_line(), "held");
  EXPECT_EQ(Reserved(*budget), 8 * kCent);

  BudgetRefusal refusal;
  auto refused = budget->reserve("bot", 3 * kCent, &refusal);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kResourceExhausted);
  EXPECT_EQ(refusal.spent_microcents, 8 * kCent);  // spent 0 + reserved 8
  ASSERT_TRUE(budget->record("bot", 2 * kCent, "agent", "fits beside the other's 8"));
  budget->check_invariants();

  // The other process ends without settling: its reservation is released.
  other->close_input();
  EXPECT_EQ(other->wait(), 0);
  EXPECT_EQ(Reserved(*budget), 0);
  EXPECT_TRUE(budget->record("bot", 8 * kCent, "agent", "the released room"));
  EXPECT_EQ(*budget->ledger().spent_since("bot", 0), 10 * kCent);
}

TEST_F(BudgetAcrossProcesses, AProcessKilledWhileHoldingAReservationNoLongerHoldsIt) {
  auto budget = Open(10);
  auto other = Hold(10, 10 * kCent);
  ASSERT_EQ(other->read_line(), "held");
  EXPECT_FALSE(budget->reserve("bot", 1));

  other->kill();
  // Killed but not yet reaped, the process is a zombie: it runs nothing, so
  // it holds nothing.
  const int pid = other->pid();
  for (int i = 0; i < 500; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    if (line.find(") Z") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_FALSE(process_alive(pid));
  EXPECT_EQ(Reserved(*budget), 0);
  auto reservation = budget->reserve("bot", 10 * kCent);
  ASSERT_TRUE(reservation) << reservation.error().to_string();
  EXPECT_EQ(Reserved(*budget), 10 * kCent);  // the dead process's row is gone, this one's is there
  other->wait();
}

// 1,000 concurrent priced calls, 250 from each of four processes, against a
// $1 budget at 0.3 cents each: exactly 333 fit, wherever they come from. A
// watcher in this process checks I2 (spent + reserved <= limit, over every
// process's reservations) the whole time; a violation aborts the test.
TEST_F(BudgetAcrossProcesses, AThousandCallsFromFourProcessesNeverOverspend) {
  constexpr int kProcesses = 4, kThreads = 250;
  constexpr int64_t kAmount = 300'000;
  auto budget = Open(100);
  ASSERT_TRUE(budget->reserved());  // the database exists before the clients open it
  auto start = std::chrono::duration_cast<std::chrono::milliseconds>(
                   (std::chrono::system_clock::now() + std::chrono::milliseconds(1500)).time_since_epoch())
                   .count();
  std::vector<std::unique_ptr<testing::ChildProcess>> clients;
  for (int i = 0; i < kProcesses; ++i) {
    clients.push_back(std::make_unique<testing::ChildProcess>(std::vector<std::string>{
        NAOS_BUDGET_CLIENT, db_file(), "bot", "100", "hammer", std::to_string(kAmount), std::to_string(kThreads),
        std::to_string(start)}));
  }
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done) budget->check_invariants();
  });
  int granted = 0, refused = 0;
  for (auto& client : clients) {
    int g = 0, r = 0;
    std::string line = client->read_line();
    ASSERT_EQ(std::sscanf(line.c_str(), "granted %d refused %d", &g, &r), 2) << line;
    EXPECT_EQ(client->wait(), 0);
    granted += g;
    refused += r;
    EXPECT_GT(g + r, 0);
  }
  done = true;
  watcher.join();
  EXPECT_EQ(granted, 333);
  EXPECT_EQ(refused, kProcesses * kThreads - 333);
  EXPECT_EQ(*budget->ledger().spent_since("bot", 0), 333 * kAmount);
  EXPECT_EQ(Reserved(*budget), 0);
}

}  // namespace
}  // namespace naos::governance
