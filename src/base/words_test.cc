#include "base/words.h"

#include <gtest/gtest.h>

namespace naos {
namespace {

const std::vector<std::string> kCommands = {"run",  "stop", "status", "list",  "inspect", "init",
                                            "logs", "saga", "secret", "audit", "delete",  "create"};

TEST(ClosestWord, SuggestsTheCommandATypoMeant) {
  EXPECT_EQ(closest_word("stauts", kCommands), "status");
  EXPECT_EQ(closest_word("lsit", kCommands), "list");  // init is as far, but keeps no first letter
  EXPECT_EQ(closest_word("delet", kCommands), "delete");
  EXPECT_EQ(closest_word("STOP", kCommands), "stop");
}

TEST(ClosestWord, SuggestsNothingForAWordFarFromEveryCandidate) {
  EXPECT_EQ(closest_word("deploy", kCommands), std::nullopt);
  EXPECT_EQ(closest_word("", kCommands), std::nullopt);
  EXPECT_EQ(closest_word("rn", kCommands), std::nullopt);  // two letters: only case may differ
  EXPECT_EQ(closest_word("x", {}), std::nullopt);
  EXPECT_EQ(did_you_mean("xyzzy", kCommands), "");
  EXPECT_EQ(did_you_mean("stpo", kCommands), "; did you mean 'stop'?");
}

TEST(ClosestWord, BreaksTiesByFirstLetterThenLengthThenOrder) {
  EXPECT_EQ(closest_word("tun", {"fun", "run", "tin"}), "tin");          // keeps the first letter
  EXPECT_EQ(closest_word("sage", {"sag", "sane"}), "sane");             // same length
  EXPECT_EQ(closest_word("sage", {"saga", "sane"}), "saga");            // a full tie: the first given
  EXPECT_EQ(closest_word("sage", {"sane", "saga"}), "sane");
}

}  // namespace
}  // namespace naos
