// Sums of money in SQL that cannot overflow (governance/cost_ledger.h "Sums").
//
// SQLite's SUM over integers fails with "integer overflow" past INT64_MAX.
// A guest that recorded INT64_MAX micro-cents twice once made every later sum
// fail: `naos cost status` broke for good and other agents' cost_record
// returned NEXUS_E_INTERNAL. Two things now stop that:
//   - one cost is at most kMaxCostMicrocents ($10,000,000; base/money.h):
//     CostLedger::insert and BudgetEnforcer::reserve refuse more, and
//     nexus.cost_record answers NEXUS_E_INVALID;
//   - every sum of amounts (cost_ledger, cost_reservations) is taken in two
//     halves, SUM(x >> 32) and SUM(x & 0xFFFFFFFF), each exact in 64 bits for
//     fewer than 2^31 rows, and joined in 128 bits, saturating at INT64_MAX.
//     So even a ledger an older naos let grow past 64 bits (rows of
//     INT64_MAX) is summed, not refused.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace naos::governance {

// Two SQL result columns, SUM((expression) >> 32) and
// SUM((expression) & 4294967295), for a non-negative integer expression.
std::string split_sum_sql(std::string_view expression);
// The two columns joined: the exact sum, or INT64_MAX when it is larger.
int64_t joined_sum(int64_t high, int64_t low);

}  // namespace naos::governance
