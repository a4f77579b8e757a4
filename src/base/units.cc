#include "base/units.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>
#include <vector>

namespace naos {
namespace {

// The longest duration parse_duration() accepts (365 days): timeouts,
// windows, delays, `@every` schedules (docs/config.md "Limits"), so that a
// deadline (now + duration) can never overflow. A value of the right form
// that is too large says so ("too long", "too large"); nothing wraps around.
constexpr std::chrono::milliseconds kMaxDuration{365LL * 24 * 3600 * 1000};

// Splits "256MB" into 256 and "MB"; fails without digits first. Digits
// that do not fit 64 bits set `overflow` (and fail).
bool split_number(std::string_view text, uint64_t& number, std::string_view& unit, bool* overflow = nullptr) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc::result_out_of_range && overflow != nullptr) *overflow = true;
  if (ec != std::errc() || end == text.data()) return false;
  unit = std::string_view(end, text.data() + text.size() - end);
  return true;
}

// Whether `text` is digits and then `unit` is one of `units`: a value of the
// right form, whatever its size.
template <typename Units>
bool well_formed(std::string_view text, const Units& units) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0) return false;
  std::string_view unit = text.substr(digits);
  return std::any_of(std::begin(units), std::end(units), [unit](const auto& u) { return u.first == unit; });
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
  bool overflow = false;
  if (!split_number(text, number, unit, &overflow) || !unit.empty()) {
    if (overflow && text.find_first_not_of("0123456789") == std::string_view::npos) {
      return Error(Code::kInvalidArgument, "\"" + std::string(text) + "\" is too large (at most 18446744073709551615)");
    }
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
  if (well_formed(text, kUnits)) {
    return Error(Code::kInvalidArgument, "size \"" + std::string(text) + "\" is too large (it overflows 64 bits)");
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
      if (unit == name && multiply(number, scale, ms) && ms <= static_cast<uint64_t>(kMaxDuration.count())) {
        return std::chrono::milliseconds(static_cast<int64_t>(ms));
      }
    }
  }
  if (well_formed(text, kUnits)) {
    return Error(Code::kInvalidArgument,
                 "duration \"" + std::string(text) + "\" is too long; at most 365d");
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
