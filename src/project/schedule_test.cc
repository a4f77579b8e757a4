#include "project/schedule.h"

#include <gtest/gtest.h>

namespace naos::project {
namespace {

// 2026-11-25 12:34:56 UTC, a Wednesday.
constexpr int64_t kNow = 1795610096000;

int64_t next(std::string_view text, int64_t after = kNow) {
  auto schedule = Schedule::parse(text);
  EXPECT_TRUE(schedule) << text << ": " << schedule.error().to_string();
  return schedule->next_after(after, kNow);
}

TEST(Schedule, EveryMinuteFiresAtTheNextWholeMinute) { EXPECT_EQ(next("* * * * *"), 1795610100000); }

TEST(Schedule, StepsRangesAndListsSelectTheRightMinute) {
  EXPECT_EQ(next("*/5 * * * *"), 1795610100000);     // 12:35
  EXPECT_EQ(next("40-45/2 * * * *"), 1795610400000); // 12:40
  EXPECT_EQ(next("10,20 * * * *"), 1795612200000);   // 13:10
}

TEST(Schedule, DailyAndHourlyShortcuts) {
  EXPECT_EQ(next("@hourly"), 1795611600000);  // 13:00
  EXPECT_EQ(next("@daily"), 1795651200000);   // 2026-11-26 00:00
}

TEST(Schedule, MonthlyRollsOverTheYear) {
  EXPECT_EQ(next("0 0 1 * *"), 1796083200000);  // 2026-12-01
  EXPECT_EQ(next("0 0 1 1 *"), 1798761600000);  // 2027-01-01
}

TEST(Schedule, DayOfWeekAndSundayAsSeven) {
  EXPECT_EQ(next("0 9 * * 0"), next("0 9 * * 7"));
  EXPECT_EQ(next("0 9 * * 0"), 1795942800000);  // Sunday 2026-11-29 09:00
}

TEST(Schedule, BothDayFieldsRestrictedMeansEither) {
  // The 1st of the month or any Friday: Friday 2026-11-27 comes first.
  EXPECT_EQ(next("0 0 1 * 5"), 1795737600000);
}

TEST(Schedule, EveryIntervalCountsFromTheAnchor) {
  EXPECT_EQ(next("@every 30s", kNow), kNow + 30000);
  EXPECT_EQ(next("@every 30s", kNow + 45000), kNow + 60000);
}

TEST(Schedule, ImpossibleDateNeverFires) { EXPECT_EQ(next("0 0 30 2 *"), INT64_MAX); }

TEST(Schedule, MalformedExpressionsAreRefusedNamingTheField) {
  for (auto [text, field] : std::initializer_list<std::pair<const char*, const char*>>{
           {"60 * * * *", "minute"}, {"* 24 * * *", "hour"}, {"* * 0 * *", "day-of-month"},
           {"* * * 13 *", "month"}, {"* * * * 8", "day-of-week"}, {"*/0 * * * *", "minute"},
           {"5-1 * * * *", "minute"}, {"a * * * *", "minute"}}) {
    auto schedule = Schedule::parse(text);
    ASSERT_FALSE(schedule) << text;
    EXPECT_NE(schedule.error().message().find(field), std::string::npos) << schedule.error().message();
  }
  EXPECT_FALSE(Schedule::parse("* * * *"));
  EXPECT_FALSE(Schedule::parse("@every 10ms"));
  EXPECT_FALSE(Schedule::parse("@sometimes"));
}

}  // namespace
}  // namespace naos::project
