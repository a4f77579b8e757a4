// Replay — what a run's journal says about each of its steps. Internal to
// orchestration/: the engines replay before they drive a run, so a run
// resumed after a crash knows what finished, what failed and what to undo.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "orchestration/journal.h"

namespace naos::orchestration {

struct StepReplay {
  std::string name;
  // Forward.
  bool completed = false;
  std::string input, output;
  bool skipped = false;
  std::string passed_on;  // the output a skipped workflow step passed on
  uint32_t failures = 0;  // failed attempts since the last run.resumed
  bool failed_final = false;
  std::string error, message;  // of the last failed attempt
  // Compensation (sagas).
  bool compensated = false;
  bool resolved = false;
  uint32_t compensation_failures = 0;
  bool compensation_failed_final = false;
  std::string compensation_error;
};

struct Replay {
  std::map<int, StepReplay> steps;

  static Replay of(const std::vector<Entry>& entries);
  // The step's replay, or an empty one for a step the journal never named.
  // The reference points into `steps`, so asking a temporary Replay (as in
  // `Replay::of(entries).at(i)`) would dangle: that overload does not exist.
  const StepReplay& at(int index) const&;
  const StepReplay& at(int index) const&& = delete;
};

}  // namespace naos::orchestration
