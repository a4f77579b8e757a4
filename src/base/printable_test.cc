// base/printable.h: untrusted text becomes one safe line.
#include "base/printable.h"

#include <gtest/gtest.h>

#include <string>

namespace naos {
namespace {

TEST(Printable, PlainTextAndUtf8AreKeptAsTheyAre) {
  EXPECT_EQ(printable("hello, world"), "hello, world");
  EXPECT_EQ(printable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(printable("C:\\path\\file"), "C:\\path\\file");
  EXPECT_TRUE(is_printable("plain"));
}

TEST(Printable, ANewlineCannotStartAForgedLine) {
  std::string forged = "ok\n2030-01-01T00:00:00.000Z error FORGED";
  EXPECT_EQ(printable(forged), "ok\\n2030-01-01T00:00:00.000Z error FORGED");
  EXPECT_EQ(printable("a\rb\tc"), "a\\rb\\tc");
}

TEST(Printable, AnsiEscapesAndOtherControlsAreNeutralized) {
  EXPECT_EQ(printable("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(printable("del\x7f"), "del\\x7f");
  // C1 CSI (U+009B) is an escape introducer on some terminals.
  EXPECT_EQ(printable("\xc2\x9b" "31m"), "\\u{009b}31m");
  // Line separator and a right-to-left override.
  EXPECT_EQ(printable("a\xe2\x80\xa8" "b\xe2\x80\xae" "c"), "a\\u{2028}b\\u{202e}c");
}

TEST(Printable, MalformedUtf8IsEscapedBytewise) {
  EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");          // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(printable("ok\xe2\x82"), "ok\\xe2\\x82");       // truncated
}

TEST(Printable, EscapingTwiceChangesNothing) {
  for (std::string text : {std::string("\x1b[2J\n\r\t\xff\xc2\x9b"), std::string("a\\nb"), std::string("\xe2\x80\xae")}) {
    std::string once = printable(text);
    EXPECT_TRUE(is_printable(once)) << once;
    EXPECT_EQ(printable(once), once);
  }
}

}  // namespace
}  // namespace naos
