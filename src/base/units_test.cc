// base/units.h: the strict parsers for sizes, durations and counts, their
// formatters, and the edit distance behind "did you mean" suggestions.
#include "base/units.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace naos {
namespace {

using std::chrono::milliseconds;

constexpr uint64_t kKiB = 1ull << 10;
constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;
constexpr uint64_t kTiB = 1ull << 40;

// Asserts that `text` is refused with kInvalidArgument and a message that
// quotes it back.
template <typename T>
void ExpectRefused(const Result<T>& result, const std::string& text) {
  ASSERT_FALSE(result) << "\"" << text << "\" was accepted";
  EXPECT_EQ(result.error().code(), Code::kInvalidArgument) << text;
  EXPECT_NE(result.error().message().find("\"" + text + "\""), std::string::npos) << result.error().message();
}

// ---- sizes: "256MB", "1GiB", "512KB", "1048576" (bytes) ---------------------

TEST(ParseSize, ReadsAPlainNumberAsBytes) {
  EXPECT_EQ(parse_size("4096").value(), 4096u);
  EXPECT_EQ(parse_size("0").value(), 0u);
  EXPECT_EQ(parse_size("1048576").value(), 1048576u);
  EXPECT_EQ(parse_size("7B").value(), 7u);
}

TEST(ParseSize, TreatsDecimalLookingUnitsAsPowersOf1024LikeMemorySizes) {
  EXPECT_EQ(parse_size("256MB").value(), 256 * kMiB);
  EXPECT_EQ(parse_size("512KB").value(), 512 * kKiB);
  EXPECT_EQ(parse_size("2GB").value(), 2 * kGiB);
  EXPECT_EQ(parse_size("1TB").value(), kTiB);
}

TEST(ParseSize, AcceptsBinaryUnitsWithTheSameMeaning) {
  EXPECT_EQ(parse_size("1GiB").value(), kGiB);
  EXPECT_EQ(parse_size("64KiB").value(), 64 * kKiB);
  EXPECT_EQ(parse_size("256MiB").value(), 256 * kMiB);
  EXPECT_EQ(parse_size("3TiB").value(), 3 * kTiB);
  EXPECT_EQ(parse_size("1GiB").value(), parse_size("1GB").value());
}

TEST(ParseSize, RejectsSpacesFractionsSignsAndMissingNumbers) {
  for (const char* text : {"256 MB", " 256MB", "256MB ", "1.5GB", "-1", "+1", "-1MB", "MB", "", "GiB", "0x10"}) {
    ExpectRefused(parse_size(text), text);
  }
}

TEST(ParseSize, RejectsUnknownOrWronglyCasedUnits) {
  for (const char* text : {"256mb", "256Mb", "1gib", "10K", "10M", "10G", "10PB", "10bytes", "10MBB"}) {
    ExpectRefused(parse_size(text), text);
  }
}

TEST(ParseSize, RejectsValuesThatOverflowSixtyFourBits) {
  ExpectRefused(parse_size("99999999999TB"), "99999999999TB");
  ExpectRefused(parse_size("17179869184GiB"), "17179869184GiB");  // exactly 2^64 bytes
  ExpectRefused(parse_size("18446744073709551616"), "18446744073709551616");
  // The largest representable byte count still parses.
  EXPECT_EQ(parse_size("18446744073709551615").value(), UINT64_MAX);
  EXPECT_EQ(parse_size("16777215TiB").value(), 16777215ull * kTiB);
}

// ---- durations: "100ms", "30s", "5m", "2h", "1d" ----------------------------

TEST(ParseDuration, ReadsEveryDocumentedUnit) {
  EXPECT_EQ(parse_duration("100ms").value(), milliseconds(100));
  EXPECT_EQ(parse_duration("30s").value(), milliseconds(30'000));
  EXPECT_EQ(parse_duration("5m").value(), milliseconds(5 * 60'000));
  EXPECT_EQ(parse_duration("2h").value(), milliseconds(2 * 3'600'000));
  EXPECT_EQ(parse_duration("1d").value(), milliseconds(86'400'000));
  EXPECT_EQ(parse_duration("0s").value(), milliseconds(0));
}

TEST(ParseDuration, RejectsNumbersWithoutAUnitFractionsAndSpaces) {
  for (const char* text : {"30", "1.5s", "s", "ms", "30 s", " 30s", "30s ", "", "-1s", "+1s", "1,5s"}) {
    ExpectRefused(parse_duration(text), text);
  }
}

TEST(ParseDuration, RejectsUnitsThatAreNotDocumented) {
  for (const char* text : {"30S", "30sec", "5min", "2hr", "1w", "10us", "10ns", "1y", "1MS"}) {
    ExpectRefused(parse_duration(text), text);
  }
}

TEST(ParseDuration, RejectsValuesThatOverflowMilliseconds) {
  ExpectRefused(parse_duration("99999999999999999999d"), "99999999999999999999d");
  ExpectRefused(parse_duration("9999999999999999d"), "9999999999999999d");
  // INT64_MAX + 1 milliseconds does not fit std::chrono::milliseconds.
  ExpectRefused(parse_duration("9223372036854775808ms"), "9223372036854775808ms");
  ExpectRefused(parse_duration("9223372036854775807ms"), "9223372036854775807ms");
}

template <typename T>
void ExpectSaying(const Result<T>& result, const std::string& needle) {
  ASSERT_FALSE(result) << needle;
  EXPECT_NE(result.error().message().find(needle), std::string::npos) << result.error().message();
}

TEST(ParseDuration, AcceptsAtMost365DaysSoThatNoDeadlineOverflows) {
  const milliseconds max_duration{365LL * 24 * 3600 * 1000};
  EXPECT_EQ(parse_duration("365d").value(), max_duration);
  EXPECT_EQ(parse_duration("31536000000ms").value(), max_duration);
  ExpectSaying(parse_duration("366d"), "duration \"366d\" is too long; at most 365d");
  ExpectSaying(parse_duration("31536000001ms"), "is too long");
  ExpectSaying(parse_duration("9223372036854775807ms"), "is too long");
  ExpectSaying(parse_duration("99999999999999999999999s"), "is too long");
}

TEST(ParseSize, SaysWhenAWellFormedSizeOverflows) {
  ExpectSaying(parse_size("99999999999999999999"), "size \"99999999999999999999\" is too large");
  ExpectSaying(parse_size("17179869184GiB"), "is too large");
  ExpectSaying(parse_size("12XB"), "expected a size like");
  ExpectSaying(parse_count("18446744073709551616"), "is too large");
}

// ---- counts ----------------------------------------------------------------

TEST(ParseCount, AcceptsAnyNonNegativeIntegerThatFitsSixtyFourBits) {
  EXPECT_EQ(parse_count("0").value(), 0u);
  EXPECT_EQ(parse_count("1000000").value(), 1'000'000u);
  EXPECT_EQ(parse_count("18446744073709551615").value(), UINT64_MAX);
}

TEST(ParseCount, RejectsSignsUnitsFractionsSpacesAndOverflow) {
  for (const char* text : {"-1", "+1", "1k", "10MB", "1.0", "1e6", " 1", "1 ", "", "abc", "18446744073709551616"}) {
    ExpectRefused(parse_count(text), text);
  }
}

// ---- formatting ------------------------------------------------------------

TEST(FormatSize, UsesTheLargestBinaryUnitThatDividesExactly) {
  EXPECT_EQ(format_size(256 * kMiB), "256MiB");
  EXPECT_EQ(format_size(kGiB), "1GiB");
  EXPECT_EQ(format_size(4 * kGiB), "4GiB");
  EXPECT_EQ(format_size(64 * kKiB), "64KiB");
  EXPECT_EQ(format_size(1536 * kKiB), "1536KiB");
}

TEST(FormatSize, FallsBackToBytesWhenNoUnitDividesExactly) {
  EXPECT_EQ(format_size(0), "0B");
  EXPECT_EQ(format_size(1), "1B");
  EXPECT_EQ(format_size(1000), "1000B");
  EXPECT_EQ(format_size(kKiB + 1), "1025B");
}

TEST(FormatSize, ProducesTextThatParseSizeReadsBackToTheSameValue) {
  for (uint64_t bytes : std::initializer_list<uint64_t>{0, 1, 1000, kKiB, 3 * kKiB + 7, 256 * kMiB, kGiB, 4 * kGiB, kTiB, UINT64_MAX}) {
    auto parsed = parse_size(format_size(bytes));
    ASSERT_TRUE(parsed) << format_size(bytes);
    EXPECT_EQ(*parsed, bytes) << format_size(bytes);
  }
}

TEST(FormatDuration, UsesSecondsForWholeSecondsAndMillisecondsOtherwise) {
  EXPECT_EQ(format_duration(milliseconds(30'000)), "30s");
  EXPECT_EQ(format_duration(milliseconds(1'000)), "1s");
  EXPECT_EQ(format_duration(milliseconds(100)), "100ms");
  EXPECT_EQ(format_duration(milliseconds(1'500)), "1500ms");
  EXPECT_EQ(format_duration(milliseconds(0)), "0ms");
}

TEST(FormatDuration, ProducesTextThatParseDurationReadsBackToTheSameValue) {
  for (int64_t ms : {0ll, 1ll, 999ll, 1'000ll, 1'001ll, 30'000ll, 300'000ll, 86'400'000ll, 123'456'789ll}) {
    auto parsed = parse_duration(format_duration(milliseconds(ms)));
    ASSERT_TRUE(parsed) << format_duration(milliseconds(ms));
    EXPECT_EQ(*parsed, milliseconds(ms));
  }
}

// ---- edit distance ---------------------------------------------------------

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("flaw", "lawn"), 2u);
  EXPECT_EQ(edit_distance("memoryLimt", "memoryLimit"), 1u);  // one insertion
  EXPECT_EQ(edit_distance("agent", "agents"), 1u);
  EXPECT_EQ(edit_distance("timeuot", "timeout"), 2u);        // a transposition is two edits
  EXPECT_EQ(edit_distance("fuel", "fool"), 2u);
}

TEST(EditDistance, IsZeroForEqualStringsAndTheLengthAgainstAnEmptyString) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("timeout", "timeout"), 0u);
  EXPECT_EQ(edit_distance("", "agents"), 6u);
  EXPECT_EQ(edit_distance("agents", ""), 6u);
}

TEST(EditDistance, IsSymmetric) {
  for (auto [a, b] : {std::pair{"kitten", "sitting"}, {"maxStack", "maxOutput"}, {"", "x"}, {"llm", "kv"}}) {
    EXPECT_EQ(edit_distance(a, b), edit_distance(b, a)) << a << " / " << b;
  }
}

TEST(EditDistance, IgnoresCaseSoAMiscasedKeyStillGetsItsSuggestion) {
  EXPECT_EQ(edit_distance("memorylimit", "memoryLimit"), 0u);
  EXPECT_EQ(edit_distance("ALLOWEDHOSTS", "allowedHosts"), 0u);
  EXPECT_EQ(edit_distance("Agent", "agents"), 1u);
}

}  // namespace
}  // namespace naos
