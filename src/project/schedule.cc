#include "project/schedule.h"

#include <charconv>
#include <ctime>
#include <vector>

#include "base/units.h"

namespace naos::project {
namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

bool number(std::string_view text, int& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Sets bits [low, high] of one cron field; returns whether the field was `*`.
template <size_t N>
Result<bool> parse_field(std::string_view field, int low, int high, std::string_view name, std::bitset<N>& bits) {
  auto bad = [&](std::string why) {
    return Error(Code::kInvalidArgument,
                 "the " + std::string(name) + " field \"" + std::string(field) + "\" " + why + " (" +
                     std::to_string(low) + "-" + std::to_string(high) + ")");
  };
  bool star = false;
  for (std::string_view item : split(field, ',')) {
    int step = 1;
    if (auto slash = item.find('/'); slash != std::string_view::npos) {
      if (!number(item.substr(slash + 1), step) || step <= 0) return bad("has a bad step");
      item = item.substr(0, slash);
    }
    int from = low, to = high;
    if (item == "*") {
      star = star || step == 1;
    } else if (auto dash = item.find('-'); dash != std::string_view::npos) {
      if (!number(item.substr(0, dash), from) || !number(item.substr(dash + 1), to) || from > to) {
        return bad("has a bad range");
      }
    } else {
      if (!number(item, from)) return bad("is not a number, range, list or */step");
      to = from;
    }
    if (from < low || to > high) return bad("is out of range");
    for (int v = from; v <= to; v += step) bits.set(static_cast<size_t>(v));
  }
  return star;
}

}  // namespace

Result<Schedule> Schedule::parse(std::string_view text) {
  Schedule schedule;
  schedule.text_ = std::string(text);
  static const std::pair<std::string_view, std::string_view> kShortcuts[] = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"},
  };
  for (const auto& [name, expansion] : kShortcuts) {
    if (text == name) text = expansion;
  }
  if (text.rfind("@every ", 0) == 0) {
    auto interval = parse_duration(text.substr(7));
    if (!interval) return interval.error();
    if (interval->count() < 1000) return Error(Code::kInvalidArgument, "@every needs an interval of at least 1s");
    schedule.every_ms_ = interval->count();
    return schedule;
  }
  std::vector<std::string_view> fields;
  for (auto part : split(text, ' ')) {
    if (!part.empty()) fields.push_back(part);
  }
  if (fields.size() != 5) {
    return Error(Code::kInvalidArgument,
                 "expected five cron fields (minute hour day month weekday), @every DURATION, or @hourly/@daily/...");
  }
  NAOS_TRY(parse_field(fields[0], 0, 59, "minute", schedule.minutes_));
  NAOS_TRY(parse_field(fields[1], 0, 23, "hour", schedule.hours_));
  NAOS_ASSIGN_OR_RETURN(bool any_day, parse_field(fields[2], 1, 31, "day-of-month", schedule.days_));
  NAOS_TRY(parse_field(fields[3], 1, 12, "month", schedule.months_));
  std::bitset<8> weekdays;
  NAOS_ASSIGN_OR_RETURN(bool any_weekday, parse_field(fields[4], 0, 7, "day-of-week", weekdays));
  if (weekdays.test(7)) weekdays.set(0);
  weekdays.reset(7);
  schedule.weekdays_ = weekdays;
  schedule.days_restricted_ = !any_day;
  schedule.weekdays_restricted_ = !any_weekday;
  return schedule;
}

bool Schedule::matches_day(int day_of_month, int month, int day_of_week) const {
  if (!months_.test(static_cast<size_t>(month))) return false;
  bool day = days_.test(static_cast<size_t>(day_of_month));
  bool weekday = weekdays_.test(static_cast<size_t>(day_of_week));
  if (days_restricted_ && weekdays_restricted_) return day || weekday;
  return day && weekday;
}

int64_t Schedule::next_after(int64_t after_ms, int64_t anchor_ms) const {
  if (every_ms_ > 0) {
    if (after_ms < anchor_ms) return anchor_ms;
    return anchor_ms + ((after_ms - anchor_ms) / every_ms_ + 1) * every_ms_;
  }
  // Walk forward from the next whole minute, skipping whole days and hours
  // that cannot match; at most a few thousand steps for any expression.
  std::time_t t = static_cast<std::time_t>(after_ms / 60'000 + 1) * 60;
  for (int guard = 0; guard < 400'000; ++guard) {
    std::tm utc{};
    gmtime_r(&t, &utc);
    if (!matches_day(utc.tm_mday, utc.tm_mon + 1, utc.tm_wday)) {
      t += (24 * 60 - (utc.tm_hour * 60 + utc.tm_min)) * 60;  // next midnight
    } else if (!hours_.test(static_cast<size_t>(utc.tm_hour))) {
      t += (60 - utc.tm_min) * 60;  // next hour
    } else if (!minutes_.test(static_cast<size_t>(utc.tm_min))) {
      t += 60;
    } else {
      return static_cast<int64_t>(t) * 1000;
    }
  }
  return INT64_MAX;  // never (e.g. 30 February)
}

}  // namespace naos::project
