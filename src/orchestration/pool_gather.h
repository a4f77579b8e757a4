// Gather — how the results of a pool's items (fan-out members, or the tasks
// of a clone pool run as a step) become the pool's one result: the merge
// modes and the failure tolerance of PRODUCT.md ("Pool"). A pure function of
// the items' states, so the pool engine asks it after every item that ends,
// and stops (cancelling what still runs) as soon as the result is decided.
//
// Rules, with n the number of items and F the failed ones:
//   tolerance  `tolerate: K` tolerates K failed items; `tolerate: P%`
//              tolerates floor(n * P / 100); default 100%. F above that
//              decides `failed` at once.
//   all        decided when every item ended. Output: a JSON array, one
//              element per item in order: its output as a JSON string, or
//              null for an item that failed.
//   first      decided by the first item to complete (in the order they
//              completed); output: its output as is. Every item failed: failed.
//   majority   decided once more than n/2 items completed with identical
//              output; output: that output as is. Failed once no output can
//              reach n/2 + 1 any more.
//   quorum     the same with `quorum: k` in place of n/2 + 1. When two
//              outputs could both reach k, the one that reached it first wins.
//   state      completed when no item failed, partial when some failed
//              (within the tolerance) and the merge still succeeded, failed
//              otherwise. Cancelled items (the losers of first, majority
//              and quorum) are not failures.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "project/config.h"

namespace naos::orchestration {

enum class ItemState { kPending, kRunning, kCompleted, kFailed, kCancelled };

std::string_view item_state_name(ItemState state);

struct ItemOutcome {
  ItemState state = ItemState::kPending;
  std::string output;
  // When it ended, for first and quorum: smaller ended first (a journal seq
  // or a counter); equal orders are broken by item index.
  int64_t order = 0;
};

struct Verdict {
  bool decided = false;
  std::string state;  // completed | partial | failed, when decided
  std::string output;
  std::string error;  // why it failed, for a person
  std::optional<size_t> winner;  // first/majority/quorum: the item whose output won
};

// How many failed items `tolerance` allows among `items`.
uint32_t tolerated_failures(const project::Tolerance& tolerance, size_t items);

// How many identical outputs decide majority / quorum among `items`; 0 for all and first.
size_t agreement_needed(project::MergeMode merge, uint32_t quorum, size_t items);

Verdict judge(project::MergeMode merge, uint32_t quorum, const project::Tolerance& tolerance,
              const std::vector<ItemOutcome>& items);

}  // namespace naos::orchestration
