// Money formatting, price-table arithmetic and calendar periods: all integer.
// And the ledger's kept sums, exact while another connection appends.
#include "governance/cost_ledger.h"

#include <gtest/gtest.h>

#include <chrono>

#include "base/money.h"
#include "governance/ledger_sums.h"
#include "test_support.h"

namespace naos::governance {
namespace {

using namespace std::chrono;
using project::BudgetPeriod;

int64_t ms(sys_days day, hours h = hours(0), minutes m = minutes(0), seconds s = seconds(0),
           milliseconds extra = milliseconds(0)) {
  return duration_cast<milliseconds>((day + h + m + s + extra).time_since_epoch()).count();
}

TEST(CostFormat, AmountsPrintAsDollarsWithSubCentDigitsOnlyWhenPresent) {
  EXPECT_EQ(format_microcents(0), "$0.00");
  EXPECT_EQ(format_microcents(5'000'000), "$0.05");
  EXPECT_EQ(format_microcents(100'000'000), "$1.00");
  EXPECT_EQ(format_microcents(125), "$0.00000125");
  EXPECT_EQ(format_microcents(1'234'567'890), "$12.3456789");
  EXPECT_EQ(format_microcents(-5'000'000), "-$0.05");
  EXPECT_EQ(format_cents(1000), "$10.00");
  EXPECT_EQ(format_cents(5), "$0.05");
}

TEST(CostFormat, CentsToMicroCentsSaturatesInsteadOfOverflowing) {
  EXPECT_EQ(cents_to_microcents(7), 7'000'000);
  EXPECT_EQ(cents_to_microcents(project::kMaxCents), INT64_MAX);
  EXPECT_EQ(add_saturating(INT64_MAX - 1, 5), INT64_MAX);
}

TEST(CostPrice, TokenPricesFromDecimalStringsAreExact) {
  // PRODUCT.md's example: claude-3-haiku at $0.00025 in / $0.00125 out per 1K.
  project::ModelPrice haiku;
  haiku.input_per_1k = *project::parse_usd_microcents("0.00025");
  haiku.output_per_1k = *project::parse_usd_microcents("0.00125");
  EXPECT_EQ(haiku.input_per_1k, 25'000);
  EXPECT_EQ(haiku.output_per_1k, 125'000);
  // 1M input + 1M output tokens = $0.25 + $1.25, to the micro-cent.
  EXPECT_EQ(*price_tokens(haiku, {1'000'000, 1'000'000, 0}), 150'000'000);
  // One token: 25 micro-cents in, 125 out.
  EXPECT_EQ(*price_tokens(haiku, {1, 0, 0}), 25);
  EXPECT_EQ(*price_tokens(haiku, {0, 3, 0}), 375);
  // Cached input defaults to the input price.
  EXPECT_EQ(*price_tokens(haiku, {0, 0, 2000}), 50'000);
  haiku.cached_input_per_1k = *project::parse_usd_microcents("0.00003");
  EXPECT_EQ(*price_tokens(haiku, {0, 0, 2000}), 6'000);
}

TEST(CostPrice, NoFloatingPointDriftWhereDoublesWouldDrift) {
  project::ModelPrice price;
  price.input_per_1k = *project::parse_usd_microcents("0.1");
  price.output_per_1k = *project::parse_usd_microcents("0.2");
  // 0.1 + 0.2 == 0.3 exactly (a double gives 0.30000000000000004).
  EXPECT_EQ(*price_tokens(price, {1000, 1000, 0}), *project::parse_usd_microcents("0.3"));
  // Ten thousand sub-cent amounts sum exactly: $0.00001 per 1K tokens is
  // one micro-cent ($0.00000001) a token.
  price.input_per_1k = *project::parse_usd_microcents("0.00001");
  int64_t sum = 0;
  for (int i = 0; i < 10'000; ++i) sum += *price_tokens(price, {1, 0, 0});
  EXPECT_EQ(sum, 10'000);
  EXPECT_EQ(format_microcents(sum), "$0.0001");
}

TEST(CostPrice, FractionsOfAMicroCentRoundUpOnceNotPerTokenClass) {
  project::ModelPrice price;
  price.input_per_1k = 1;   // 0.001 micro-cent a token
  price.output_per_1k = 1;
  EXPECT_EQ(*price_tokens(price, {1, 0, 0}), 1);
  EXPECT_EQ(*price_tokens(price, {500, 500, 0}), 1);   // 1000 * 0.001 = exactly 1
  EXPECT_EQ(*price_tokens(price, {501, 500, 0}), 2);   // 1.001 rounds up
  EXPECT_FALSE(price_tokens(price, {-1, 0, 0}).has_value());
  project::ModelPrice huge;
  huge.input_per_1k = INT64_MAX;
  auto overflow = price_tokens(huge, {INT64_MAX, 0, 0});
  ASSERT_FALSE(overflow.has_value());
  EXPECT_EQ(overflow.error().code(), Code::kResourceExhausted);
}

TEST(CostPeriod, HourAndDayStartOnTheHourAndAtMidnightUtc) {
  int64_t now = ms(sys_days(2025y / 1 / 15), hours(10), minutes(31), seconds(15));
  auto hour = period_window(BudgetPeriod::kHour, now);
  EXPECT_EQ(hour.start_ms, ms(sys_days(2025y / 1 / 15), hours(10)));
  EXPECT_EQ(hour.end_ms, ms(sys_days(2025y / 1 / 15), hours(11)));
  auto day = period_window(BudgetPeriod::kDay, now);
  EXPECT_EQ(day.start_ms, ms(sys_days(2025y / 1 / 15)));
  EXPECT_EQ(day.end_ms, ms(sys_days(2025y / 1 / 16)));
  // The last millisecond of a day is in it; the next is the next day.
  int64_t last = ms(sys_days(2025y / 1 / 15), hours(23), minutes(59), seconds(59), milliseconds(999));
  EXPECT_EQ(period_window(BudgetPeriod::kDay, last).start_ms, day.start_ms);
  EXPECT_EQ(period_window(BudgetPeriod::kDay, last + 1).start_ms, day.end_ms);
}

TEST(CostPeriod, MonthsEndOnTheLastDayIncludingFebruaryInLeapYears) {
  struct Case {
    sys_days inside, first, next;
  } cases[] = {
      {sys_days(2024y / 2 / 29), sys_days(2024y / 2 / 1), sys_days(2024y / 3 / 1)},   // leap year
      {sys_days(2023y / 2 / 28), sys_days(2023y / 2 / 1), sys_days(2023y / 3 / 1)},   // common year
      {sys_days(2100y / 2 / 28), sys_days(2100y / 2 / 1), sys_days(2100y / 3 / 1)},   // not leap (century)
      {sys_days(2000y / 2 / 29), sys_days(2000y / 2 / 1), sys_days(2000y / 3 / 1)},   // leap (400)
      {sys_days(2024y / 12 / 31), sys_days(2024y / 12 / 1), sys_days(2025y / 1 / 1)}, // year end
      {sys_days(2024y / 4 / 30), sys_days(2024y / 4 / 1), sys_days(2024y / 5 / 1)},   // 30-day month
      {sys_days(2024y / 1 / 31), sys_days(2024y / 1 / 1), sys_days(2024y / 2 / 1)},
  };
  for (const auto& c : cases) {
    int64_t last_ms = ms(c.inside, hours(23), minutes(59), seconds(59), milliseconds(999));
    auto window = period_window(BudgetPeriod::kMonth, last_ms);
    EXPECT_EQ(window.start_ms, ms(c.first));
    EXPECT_EQ(window.end_ms, ms(c.next));
    EXPECT_EQ(period_window(BudgetPeriod::kMonth, last_ms + 1).start_ms, ms(c.next));
  }
}

TEST(CostPeriod, WeeksStartOnMondayMidnightUtcAcrossMonthAndYearEnds) {
  // 2024-01-01 is a Monday; 2024-12-30 is a Monday whose week ends in 2025.
  auto sunday_night = ms(sys_days(2024y / 1 / 7), hours(23), minutes(59), seconds(59), milliseconds(999));
  auto week = period_window(BudgetPeriod::kWeek, sunday_night);
  EXPECT_EQ(week.start_ms, ms(sys_days(2024y / 1 / 1)));
  EXPECT_EQ(week.end_ms, ms(sys_days(2024y / 1 / 8)));
  EXPECT_EQ(period_window(BudgetPeriod::kWeek, sunday_night + 1).start_ms, ms(sys_days(2024y / 1 / 8)));
  auto new_year = period_window(BudgetPeriod::kWeek, ms(sys_days(2025y / 1 / 1), hours(12)));
  EXPECT_EQ(new_year.start_ms, ms(sys_days(2024y / 12 / 30)));
  EXPECT_EQ(new_year.end_ms, ms(sys_days(2025y / 1 / 6)));
  auto leap = period_window(BudgetPeriod::kWeek, ms(sys_days(2024y / 2 / 29)));  // a Thursday
  EXPECT_EQ(leap.start_ms, ms(sys_days(2024y / 2 / 26)));
  EXPECT_EQ(leap.end_ms, ms(sys_days(2024y / 3 / 4)));
}

TEST(CostPeriod, TotalNeverResets) {
  auto total = period_window(BudgetPeriod::kTotal, 1'700'000'000'000);
  EXPECT_EQ(total.start_ms, INT64_MIN);
  EXPECT_EQ(total.end_ms, INT64_MAX);
}

TEST(CostPeriod, PeriodAndActionNamesParse) {
  EXPECT_EQ(parse_period("month"), BudgetPeriod::kMonth);
  EXPECT_EQ(parse_period("daily"), BudgetPeriod::kDay);
  EXPECT_EQ(parse_period("fortnight"), std::nullopt);
  EXPECT_EQ(parse_on_exceed("throttle"), project::OnExceed::kThrottle);
  EXPECT_EQ(parse_on_exceed("explode"), std::nullopt);
}

// ---- calendar periods in a time zone (cost.timezone) ------------------------

PeriodWindow zoned(BudgetPeriod period, int64_t now, const char* zone) {
  auto window = period_window(period, now, zone);
  EXPECT_TRUE(window) << window.error().to_string();
  return *window;
}

TEST(CostPeriodZone, DayStartsAtLocalMidnight) {
  // 2026-11-25 03:00 UTC is still 24 November in New York (EST, UTC-5).
  auto day = zoned(BudgetPeriod::kDay, ms(sys_days(2026y / 11 / 25), hours(3)), "America/New_York");
  EXPECT_EQ(day.start_ms, ms(sys_days(2026y / 11 / 24), hours(5)));
  EXPECT_EQ(day.end_ms, ms(sys_days(2026y / 11 / 25), hours(5)));
}

TEST(CostPeriodZone, TheDayOfASpringDstChangeLasts23Hours) {
  // New York springs forward on 2026-03-08: that local day is 23 hours long.
  auto day = zoned(BudgetPeriod::kDay, ms(sys_days(2026y / 3 / 8), hours(12)), "America/New_York");
  EXPECT_EQ(day.start_ms, ms(sys_days(2026y / 3 / 8), hours(5)));
  EXPECT_EQ(day.end_ms - day.start_ms, 23 * 3'600'000);
}

TEST(CostPeriodZone, MonthRollsOverAtLocalMidnightOfTheFirst) {
  // 2026-01-31 16:00 UTC is already 1 February 01:00 in Tokyo (UTC+9).
  auto month = zoned(BudgetPeriod::kMonth, ms(sys_days(2026y / 1 / 31), hours(16)), "Asia/Tokyo");
  EXPECT_EQ(month.start_ms, ms(sys_days(2026y / 1 / 31), hours(15)));
  EXPECT_EQ(month.end_ms, ms(sys_days(2026y / 2 / 28), hours(15)));
}

TEST(CostPeriodZone, HoursFollowAHalfHourOffset) {
  // Kolkata is UTC+5:30: its hours start at :30 UTC.
  auto hour = zoned(BudgetPeriod::kHour, ms(sys_days(2026y / 11 / 25), hours(12), minutes(10)), "Asia/Kolkata");
  EXPECT_EQ(hour.start_ms, ms(sys_days(2026y / 11 / 25), hours(11), minutes(30)));
}

TEST(CostPeriodZone, WeekStartsOnLocalMonday) {
  // Sunday 2026-11-29 23:30 UTC is Monday 30 November 00:30 in Berlin (UTC+1).
  auto week = zoned(BudgetPeriod::kWeek, ms(sys_days(2026y / 11 / 29), hours(23), minutes(30)), "Europe/Berlin");
  EXPECT_EQ(week.start_ms, ms(sys_days(2026y / 11 / 29), hours(23)));
}

TEST(CostPeriodZone, UnknownZoneIsAnError) {
  auto window = period_window(BudgetPeriod::kDay, 0, "Mars/Olympus_Mons");
  ASSERT_FALSE(window);
  EXPECT_EQ(window.error().code(), Code::kInvalidArgument);
  EXPECT_TRUE(known_timezone("Europe/Berlin"));
  EXPECT_FALSE(known_timezone("Europe/Atlantis"));
}

}  // namespace
}  // namespace naos::governance

namespace naos::governance {
namespace {

// spent_since keeps a sum and adds the rows appended after it. Another
// connection (as another process would) appends rows of this agent, of
// another agent, and of this agent dated before `since`: each sum equals a
// full SUM over the table, the global one too, through forget_sums as well.
TEST(CostLedgerSums, KeptSumsStayExactWhileAnotherConnectionAppends) {
  testing::TempDir dir;
  auto ours = std::move(*store::Database::open(dir.path() / "nexus.db"));
  auto theirs = std::move(*store::Database::open(dir.path() / "nexus.db"));
  CostLedger reader(*ours), writer(*theirs);
  auto full_sum = [&](const std::string& agent, int64_t since) {
    auto rows = *reader.rows_since(agent, since);
    int64_t sum = 0;
    for (const auto& r : rows) sum += r.amount_microcents;
    return sum;
  };
  constexpr int64_t kSince = 1'000;
  int64_t amount = 1;
  for (int round = 0; round < 50; ++round) {
    ASSERT_TRUE(writer.insert({0, kSince + round, "bot", amount++, "agent", ""}));
    ASSERT_TRUE(writer.insert({0, kSince + round, "other", amount++, "agent", ""}));
    ASSERT_TRUE(writer.insert({0, kSince - 1, "bot", amount++, "agent", "before the period"}));
    ASSERT_EQ(*reader.spent_since("bot", kSince), full_sum("bot", kSince)) << round;
    ASSERT_EQ(*reader.spent_since("", kSince), full_sum("", kSince)) << round;
    ASSERT_EQ(*reader.spent_since("bot", 0), full_sum("bot", 0)) << round;
    if (round % 10 == 9) reader.forget_sums();
  }
  EXPECT_EQ(*reader.spent_since("bot", kSince), (1 + 148) * 50 / 2);  // 1, 4, 7, ..., 148
  EXPECT_EQ(*reader.spent_since("nobody", kSince), 0);
}

// One cost is at most $10,000,000 (base/money.h), and the ledger's sums
// cannot overflow however many such rows there are: 10,000 rows at the cap
// come to 10^19 micro-cents, past INT64_MAX, where SQLite's SUM failed with
// "integer overflow". The sums saturate instead, first and kept alike.
TEST(CostLedgerSums, ACostAboveTheCapIsRefusedAndSumsPastSixtyFourBitsSaturate) {
  testing::TempDir dir;
  auto db = std::move(*store::Database::open(dir.path() / "nexus.db"));
  CostLedger ledger(*db);
  auto over = ledger.insert({0, 1, "bot", kMaxCostMicrocents + 1, "agent", ""});
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), Code::kInvalidArgument);
  EXPECT_FALSE(ledger.insert({0, 1, "bot", INT64_MAX, "agent", ""}));

  auto transaction = db->begin();
  ASSERT_TRUE(transaction);
  for (int i = 0; i < 9'000; ++i) ASSERT_TRUE(ledger.insert({0, 1, "bot", kMaxCostMicrocents, "agent", ""}));
  ASSERT_TRUE(transaction->commit());
  EXPECT_EQ(*ledger.spent_since("bot", 0), 9'000 * kMaxCostMicrocents);  // 9e18: still exact
  auto more = db->begin();
  ASSERT_TRUE(more);
  for (int i = 0; i < 1'000; ++i) {
    ASSERT_TRUE(ledger.insert({0, 1, "bot", kMaxCostMicrocents, "agent", "", kMaxCostMicrocents}));
  }
  ASSERT_TRUE(more->commit());
  EXPECT_EQ(*ledger.spent_since("bot", 0), INT64_MAX) << "the kept sum saturates";
  ledger.forget_sums();
  EXPECT_EQ(*ledger.spent_since("bot", 0), INT64_MAX) << "the first sum saturates";
  EXPECT_EQ(*ledger.spent_since("", 0), INT64_MAX);
  EXPECT_EQ(*ledger.beyond_reservations_since("bot", 0), 1'000 * kMaxCostMicrocents);
}

TEST(CostLedgerSums, SplitSumsJoinExactlyAndSaturate) {
  EXPECT_EQ(joined_sum(0, 0), 0);
  EXPECT_EQ(joined_sum(1, 5), (int64_t{1} << 32) + 5);
  EXPECT_EQ(joined_sum(INT64_MAX >> 32, INT64_MAX & 0xFFFFFFFF), INT64_MAX);
  EXPECT_EQ(joined_sum(INT64_MAX >> 32, (INT64_MAX & 0xFFFFFFFF) + 1), INT64_MAX);
  EXPECT_EQ(joined_sum(int64_t{1} << 40, 0), INT64_MAX);
}

TEST(CostPrice, ACostAboveTheCapIsRefused) {
  project::ModelPrice price;
  price.input_per_1k = kMaxCostMicrocents;  // $10,000,000 per 1K tokens
  EXPECT_EQ(*price_tokens(price, {1000, 0, 0}), kMaxCostMicrocents);
  auto over = price_tokens(price, {1001, 0, 0});
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), Code::kResourceExhausted);
}

}  // namespace
}  // namespace naos::governance
