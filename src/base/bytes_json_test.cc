#include "base/bytes_json.h"

#include <gtest/gtest.h>

#include <random>

namespace naos {
namespace {

TEST(BytesJson, TextStaysAPlainString) {
  EXPECT_EQ(bytes_json("café ☕"), nlohmann::json("café ☕"));
  EXPECT_EQ(bytes_json(std::string("a\0b", 3)), nlohmann::json(std::string("a\0b", 3)));
  EXPECT_EQ(bytes_json(""), nlohmann::json(""));
}

TEST(BytesJson, AnythingElseIsBase64) {
  std::string bytes = "caf\xe9";
  auto json = bytes_json(bytes);
  ASSERT_TRUE(json.is_object());
  EXPECT_EQ(json["base64"], "Y2Fm6Q==");
  EXPECT_EQ(bytes_from_json(json).value(), bytes);
  EXPECT_NO_THROW(json.dump());
}

TEST(BytesJson, Utf8CheckRejectsOverlongsSurrogatesAndTruncation) {
  EXPECT_TRUE(is_utf8("\xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_utf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(is_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(is_utf8("\xe2\x82"));          // cut short
  EXPECT_FALSE(is_utf8("\xff"));
}

TEST(BytesJson, RandomBytesRoundTripExactly) {
  std::mt19937 random(7);
  for (size_t size : {0u, 1u, 2u, 3u, 4u, 5u, 100u, 100000u}) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    auto text = bytes_json(bytes).dump();
    EXPECT_EQ(bytes_from_json(nlohmann::json::parse(text)).value(), bytes) << size;
  }
}

TEST(BytesJson, MalformedBase64AndOtherValuesAreErrors) {
  EXPECT_FALSE(base64_decode("abc").has_value());
  EXPECT_FALSE(base64_decode("ab=c").has_value());
  EXPECT_FALSE(bytes_from_json(nlohmann::json{{"base64", "!!!!"}}).has_value());
  EXPECT_FALSE(bytes_from_json(nlohmann::json(3)).has_value());
  EXPECT_EQ(bytes_from_json(nlohmann::json()).value(), "");
}

TEST(BytesJson, LosslessJsonRewritesOnlyWhatWouldThrow) {
  nlohmann::json value = {{"ok", "text"}, {"bad", "\xff"}, {"list", {"x", "\xfe\xff"}}, {"n", 3}};
  value["k\xff"] = "v";
  EXPECT_THROW(value.dump(), nlohmann::json::type_error);
  auto safe = nlohmann::json::parse(dump_lossless(value));
  EXPECT_EQ(safe["ok"], "text");
  EXPECT_EQ(bytes_from_json(safe["bad"]).value(), "\xff");
  EXPECT_EQ(bytes_from_json(safe["list"][1]).value(), "\xfe\xff");
  EXPECT_EQ(safe["n"], 3);
  EXPECT_EQ(safe["base64:" + base64_encode("k\xff")], "v");
  EXPECT_EQ(bytes_field(safe, "bad"), "\xff");
  EXPECT_EQ(bytes_field(safe, "missing"), "");
}

}  // namespace
}  // namespace naos
