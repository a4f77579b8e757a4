// Strict parsers for the quantities users write in nexus.config.yaml and on
// the command line. Anything not exactly in the documented form is an error;
// nothing is guessed.
//   sizes:     "256MB", "1GiB", "512KB", "1048576" (bytes). KB/MB/GB and
//              KiB/MiB/GiB both mean powers of 1024, as memory sizes do.
//   durations: "100ms", "30s", "5m", "2h", "1d".
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace naos {

Result<uint64_t> parse_size(std::string_view text);
Result<std::chrono::milliseconds> parse_duration(std::string_view text);
// A non-negative decimal integer that fits in uint64_t.
Result<uint64_t> parse_count(std::string_view text);

std::string format_size(uint64_t bytes);
std::string format_duration(std::chrono::milliseconds duration);

// Levenshtein distance; for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// ASCII letters lowered; other bytes as they are (host names, search text).
std::string ascii_lowercase(std::string_view text);

}  // namespace naos
