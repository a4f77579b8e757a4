// Money bounds shared by every layer that takes an amount from outside: the
// guest (nexus.cost_record), the config (prices, costPerCall) and the LLM
// pricing. Amounts are integer micro-cents (1 micro-cent = 1e-6 cent =
// $0.00000001; project/config.h "money").
//
// Why a cap per cost: a guest could otherwise record INT64_MAX twice and make
// every later sum overflow. With each ledger row at most kMaxCostMicrocents
// (1e15) and the ledger's sums computed without overflow
// (governance/cost_ledger.h "Sums"), no amount naos handles wraps.
#pragma once

#include <cstdint>

namespace naos {

// The most one recorded cost may be: $10,000,000.00 (1e9 cents), in
// micro-cents. A cost_record above it is NEXUS_E_INVALID; a price or
// costPerCall above it is refused by `config validate`; an LLM call that
// would cost more is refused before it is made.
inline constexpr int64_t kMaxCostMicrocents = 1'000'000'000'000'000;

}  // namespace naos
