#include "base/words.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <tuple>

#include "base/units.h"

namespace naos {

std::optional<std::string> closest_word(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  // Smaller is better: distance, then "first letter differs", then "length differs".
  std::tuple<size_t, bool, bool> best_rank{SIZE_MAX, true, true};
  for (const auto& candidate : candidates) {
    size_t distance = edit_distance(word, candidate);
    bool other_first = candidate.empty() || word.empty() ||
                       std::tolower(static_cast<unsigned char>(candidate[0])) !=
                           std::tolower(static_cast<unsigned char>(word[0]));
    std::tuple<size_t, bool, bool> rank{distance, other_first, candidate.size() != word.size()};
    if (rank < best_rank) best_rank = rank, best = candidate;
  }
  size_t distance = std::get<0>(best_rank);
  if (!best || distance > std::max<size_t>(2, word.size() / 3) || distance >= word.size()) return std::nullopt;
  if (word.size() <= 2 && distance > 0) return std::nullopt;
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  auto closest = closest_word(word, candidates);
  return closest ? "; did you mean '" + *closest + "'?" : std::string();
}

}  // namespace naos
