#include "orchestration/pool_gather.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "base/bytes_json.h"

namespace naos::orchestration {

std::string_view item_state_name(ItemState state) {
  switch (state) {
    case ItemState::kPending: return "pending";
    case ItemState::kRunning: return "running";
    case ItemState::kCompleted: return "completed";
    case ItemState::kFailed: return "failed";
    case ItemState::kCancelled: return "cancelled";
  }
  return "pending";
}

uint32_t tolerated_failures(const project::Tolerance& tolerance, size_t items) {
  if (tolerance.kind == project::Tolerance::Kind::kCount) return tolerance.value;
  return static_cast<uint32_t>(items * tolerance.value / 100);
}

size_t agreement_needed(project::MergeMode merge, uint32_t quorum, size_t items) {
  switch (merge) {
    case project::MergeMode::kMajority: return items / 2 + 1;
    case project::MergeMode::kQuorum: return quorum;
    case project::MergeMode::kAll:
    case project::MergeMode::kFirst: return 0;
  }
  return 0;
}

namespace {

// Orders items by when they ended (order, then index).
bool ended_before(const std::vector<ItemOutcome>& items, size_t a, size_t b) {
  if (items[a].order != items[b].order) return items[a].order < items[b].order;
  return a < b;
}

}  // namespace

Verdict judge(project::MergeMode merge, uint32_t quorum, const project::Tolerance& tolerance,
              const std::vector<ItemOutcome>& items) {
  size_t n = items.size(), failed = 0, open = 0;
  for (const auto& item : items) {
    if (item.state == ItemState::kFailed) ++failed;
    if (item.state == ItemState::kPending || item.state == ItemState::kRunning) ++open;
  }
  Verdict verdict;
  auto decide = [&](const std::string& state, std::string output, std::string error) {
    verdict.decided = true;
    verdict.state = state;
    verdict.output = std::move(output);
    verdict.error = std::move(error);
    return verdict;
  };
  const std::string success = failed > 0 ? "partial" : "completed";
  uint32_t tolerated = tolerated_failures(tolerance, n);
  if (failed > tolerated) {
    return decide("failed", "",
                  std::to_string(failed) + " of " + std::to_string(n) + " failed, more than the " +
                      std::to_string(tolerated) + " tolerated");
  }
  switch (merge) {
    case project::MergeMode::kAll: {
      if (open > 0) return verdict;
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : items) {
        out.push_back(item.state == ItemState::kCompleted ? bytes_json(item.output) : nlohmann::json(nullptr));
      }
      return decide(success, out.dump(), "");
    }
    case project::MergeMode::kFirst: {
      std::optional<size_t> winner;
      for (size_t i = 0; i < n; ++i) {
        if (items[i].state == ItemState::kCompleted && (!winner || ended_before(items, i, *winner))) winner = i;
      }
      if (winner) {
        verdict.winner = winner;
        return decide(success, items[*winner].output, "");
      }
      if (open == 0) return decide("failed", "", "no member succeeded");
      return verdict;
    }
    case project::MergeMode::kMajority:
    case project::MergeMode::kQuorum: {
      size_t need = agreement_needed(merge, quorum, n);
      // Each distinct output: its items, in the order they ended.
      std::map<std::string, std::vector<size_t>> groups;
      for (size_t i = 0; i < n; ++i) {
        if (items[i].state == ItemState::kCompleted) groups[items[i].output].push_back(i);
      }
      std::optional<size_t> winner;  // the item whose completion gave its group `need`
      size_t largest = 0;
      for (auto& [output, members] : groups) {
        largest = std::max(largest, members.size());
        if (members.size() < need) continue;
        std::sort(members.begin(), members.end(), [&](size_t a, size_t b) { return ended_before(items, a, b); });
        size_t reached = members[need - 1];
        if (!winner || ended_before(items, reached, *winner)) winner = reached;
      }
      if (winner) {
        verdict.winner = winner;
        return decide(success, items[*winner].output, "");
      }
      if (largest + open < need) {
        std::string what = merge == project::MergeMode::kMajority ? "no majority" : "no quorum";
        return decide("failed", "",
                      what + ": at most " + std::to_string(largest) + " of " + std::to_string(n) +
                          " agree, " + std::to_string(need) + " needed");
      }
      return verdict;
    }
  }
  return verdict;
}

}  // namespace naos::orchestration
