// budget_client DB AGENT LIMIT_CENTS hold AMOUNT
// budget_client DB AGENT LIMIT_CENTS hammer AMOUNT THREADS START_MS
//
// A process of its own on a shared database, so tests/budget_processes_test.cc
// can show that budgets hold across processes. The budget is AGENT's:
// LIMIT_CENTS a day, onExceed pause, hard enforcement. Amounts in micro-cents.
//
//   hold    reserves AMOUNT, prints "held" or "refused", then keeps the
//           reservation until stdin closes (it settles nothing) or it is killed.
//   hammer  THREADS threads wait for START_MS (ms since the epoch), then each
//           reserves AMOUNT once and settles it in full; prints
//           "granted N refused M".
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "governance/budget.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: budget_client DB AGENT LIMIT_CENTS hold AMOUNT\n"
               "       budget_client DB AGENT LIMIT_CENTS hammer AMOUNT THREADS START_MS\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) return usage();
  const std::string agent = argv[2], mode = argv[4];
  const int64_t amount = std::stoll(argv[5]);
  naos::project::CostConfig config;
  config.enforcement = naos::project::Enforcement::kHard;
  config.budgets[agent] = {agent, std::stoll(argv[3]), naos::project::BudgetPeriod::kDay,
                           naos::project::OnExceed::kPause, 0};
  naos::SystemClock clock;
  auto budget = naos::governance::BudgetEnforcer::open(argv[1], nullptr, clock, config);
  if (!budget) {
    std::fprintf(stderr, "budget_client: %s\n", budget.error().to_string().c_str());
    return 1;
  }

  if (mode == "hold" && argc == 6) {
    auto held = (*budget)->reserve(agent, amount);
    std::printf("%s\n", held ? "held" : "refused");
    std::fflush(stdout);
    char byte;
    while (::read(0, &byte, 1) > 0) {
    }
    return 0;
  }

  if (mode == "hammer" && argc == 8) {
    const int threads = std::stoi(argv[6]);
    const auto start = std::chrono::system_clock::time_point(std::chrono::milliseconds(std::stoll(argv[7])));
    std::atomic<int> granted{0}, refused{0}, failed{0};
    std::vector<std::thread> workers;
    for (int i = 0; i < threads; ++i) {
      workers.emplace_back([&, i] {
        std::this_thread::sleep_until(start);
        auto reservation = (*budget)->reserve(agent, amount);
        if (!reservation) {
          (reservation.error().code() == naos::Code::kResourceExhausted ? refused : failed)++;
          return;
        }
        ++granted;
        if (!reservation->settle(amount, "agent", "hammer " + std::to_string(::getpid()) + "/" + std::to_string(i))) {
          ++failed;
        }
      });
    }
    for (auto& worker : workers) worker.join();
    std::printf("granted %d refused %d\n", granted.load(), refused.load());
    return failed == 0 ? 0 : 1;
  }
  return usage();
}
