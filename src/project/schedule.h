// Schedule — when a scheduled agent (`agents.NAME.schedule`) runs while
// `naos daemon` is up. All times are UTC.
//
// Forms:
//   "*/5 * * * *"   five-field cron: minute hour day-of-month month day-of-week,
//                   each `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`,
//                   or a comma list of those; day-of-week 0-7 (0 and 7 are
//                   Sunday). As in Vixie cron, when both day fields are
//                   restricted a day matching either one matches.
//   "@every 30s"    a fixed interval (a base/units.h duration, at least 1s),
//                   counted from the daemon's start.
//   "@hourly" "@daily" "@weekly" "@monthly" "@yearly" (also "@midnight", "@annually")
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace naos::project {

class Schedule {
 public:
  // Errors: kInvalidArgument saying which field is wrong.
  static Result<Schedule> parse(std::string_view text);

  // The first time strictly after `after_ms` at which the schedule fires.
  // For "@every", `anchor_ms` is when counting started.
  int64_t next_after(int64_t after_ms, int64_t anchor_ms) const;

  const std::string& text() const { return text_; }

 private:
  Schedule() = default;
  bool matches_day(int day_of_month, int month, int day_of_week) const;

  std::string text_;
  int64_t every_ms_ = 0;  // > 0 for "@every"
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;    // 1-31
  std::bitset<13> months_;  // 1-12
  std::bitset<8> weekdays_; // 0-6, Sunday = 0
  bool days_restricted_ = false;
  bool weekdays_restricted_ = false;
};

}  // namespace naos::project
