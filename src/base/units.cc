#include "base/units.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>
#include <vector>

namespace naos {
namespace {

// Splits "256MB" into 256 and "MB"; fails without digits first.
bool split_number(std::string_view text, uint64_t& number, std::string_view& unit) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end == text.data()) return false;
  unit = std::string_view(end, text.data() + text.size() - end);
  return true;
}

bool multiply(uint64_t a, uint64_t b, uint64_t& out) {
  if (a != 0 && b > UINT64_MAX / a) return false;
  out = a * b;
  return true;
}

}  // namespace

Result<uint64_t> parse_count(std::string_view text) {
  uint64_t number = 0;
  std::string_view unit;
  if (!split_number(text, number, unit) || !unit.empty()) {
    return Error(Code::kInvalidArgument, "expected a whole number, got \"" + std::string(text) + "\"");
  }
  return number;
}

Result<uint64_t> parse_size(std::string_view text) {
  static const std::pair<std::string_view, uint64_t> kUnits[] = {
      {"", 1},          {"B", 1},           {"KB", 1ull << 10}, {"KiB", 1ull << 10}, {"MB", 1ull << 20},
      {"MiB", 1ull << 20}, {"GB", 1ull << 30}, {"GiB", 1ull << 30}, {"TB", 1ull << 40}, {"TiB", 1ull << 40},
  };
  uint64_t number = 0;
  std::string_view unit;
  if (split_number(text, number, unit)) {
    for (const auto& [name, scale] : kUnits) {
      uint64_t bytes;
      if (unit == name && multiply(number, scale, bytes)) return bytes;
    }
  }
  return Error(Code::kInvalidArgument,
               "expected a size like 256MB, 1GiB or 4096 (bytes), got \"" + std::string(text) + "\"");
}

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  static const std::pair<std::string_view, uint64_t> kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000},
  };
  uint64_t number = 0;
  std::string_view unit;
  if (split_number(text, number, unit)) {
    for (const auto& [name, scale] : kUnits) {
      uint64_t ms;
      if (unit == name && multiply(number, scale, ms) && ms <= static_cast<uint64_t>(INT64_MAX)) {
        return std::chrono::milliseconds(static_cast<int64_t>(ms));
      }
    }
  }
  return Error(Code::kInvalidArgument,
               "expected a duration like 500ms, 30s, 5m, 2h or 1d, got \"" + std::string(text) + "\"");
}

std::string format_size(uint64_t bytes) {
  static const std::pair<const char*, uint64_t> kUnits[] = {{"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}};
  for (const auto& [name, scale] : kUnits) {
    if (bytes >= scale && bytes % scale == 0) return std::to_string(bytes / scale) + name;
  }
  return std::to_string(bytes) + "B";
}

std::string format_duration(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  if (ms % 1000 != 0 || ms == 0) return std::to_string(ms) + "ms";
  return std::to_string(ms / 1000) + "s";
}

std::string ascii_lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      size_t cost = std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace naos
