// Words a user typed against the words naos knows: the "did you mean" of the
// errors that name an unknown command, agent, config key or enum value.
// Distances are base/units.h's edit_distance (Levenshtein, ignoring case).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace naos {

// The candidate closest to `word`, if it is close enough to be a typo: at
// most max(2, size/3) edits and fewer than the word's own letters; a word of
// one or two letters matches only up to case ("T6" is not a typo of "T1").
// Ties go to the candidate that keeps the first letter (`lsit` -> `list`,
// not `init`), then to one of the same length, then to the first given, so
// the answer depends on nothing but the inputs.
std::optional<std::string> closest_word(std::string_view word, const std::vector<std::string>& candidates);

// "; did you mean 'status'?", or "" when nothing is close: the end of an error message.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace naos
