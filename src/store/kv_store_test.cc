#include "store/kv_store.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "test_support.h"

namespace naos::store {
namespace {

class KvStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::open(dir_.path() / "nexus.db");
    ASSERT_TRUE(db) << db.error().to_string();
    db_ = std::move(*db);
    kv_ = std::make_unique<KvStore>(*db_);
  }
  std::optional<std::string> get(std::string_view key) {
    auto value = kv_->get("agent", key);
    EXPECT_TRUE(value);
    return *value;
  }
  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<KvStore> kv_;
};

TEST_F(KvStoreTest, CompareAndSetWithNoExpectedValueOnlyCreates) {
  auto first = kv_->compare_and_set("agent", "k", std::nullopt, "one", 1);
  ASSERT_TRUE(first);
  EXPECT_TRUE(*first);
  auto second = kv_->compare_and_set("agent", "k", std::nullopt, "two", 2);
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);
  EXPECT_EQ(get("k"), "one");
}

TEST_F(KvStoreTest, CompareAndSetStoresOnlyOverTheExpectedValue) {
  ASSERT_TRUE(kv_->set("agent", "k", "one", 1));
  auto stale = kv_->compare_and_set("agent", "k", std::string_view("zero"), "two", 2);
  ASSERT_TRUE(stale);
  EXPECT_FALSE(*stale);
  EXPECT_EQ(get("k"), "one");
  auto fresh = kv_->compare_and_set("agent", "k", std::string_view("one"), "two", 2);
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(*fresh);
  EXPECT_EQ(get("k"), "two");
  // An absent key never matches an expected value, not even an empty one.
  auto absent = kv_->compare_and_set("agent", "missing", std::string_view(""), "x", 3);
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);
  EXPECT_EQ(get("missing"), std::nullopt);
  // Another agent's key of the same name is not this one's.
  auto other = kv_->compare_and_set("other", "k", std::string_view("two"), "three", 4);
  ASSERT_TRUE(other);
  EXPECT_FALSE(*other);
}

TEST_F(KvStoreTest, IncrementStartsAtZeroAndKeepsDecimalText) {
  auto first = kv_->increment("agent", "n", 5, 1);
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(*first, 5);
  auto second = kv_->increment("agent", "n", -7, 2);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, -2);
  EXPECT_EQ(get("n"), "-2");
  // A number written with kv_set counts on, and a CAS sees the incremented text.
  ASSERT_TRUE(kv_->set("agent", "m", "41", 3));
  EXPECT_EQ(*kv_->increment("agent", "m", 1, 4), 42);
  EXPECT_TRUE(*kv_->compare_and_set("agent", "m", std::string_view("42"), "0", 5));
}

TEST_F(KvStoreTest, IncrementRefusesWhatIsNotADecimalIntegerAndOverflow) {
  for (const char* value : {"", "abc", "12abc", " 1", "007", "+1", "1.5"}) {
    ASSERT_TRUE(kv_->set("agent", "k", value, 1));
    auto sum = kv_->increment("agent", "k", 1, 2);
    ASSERT_FALSE(sum) << "'" << value << "' became " << *sum;
    EXPECT_EQ(sum.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(get("k"), value);  // untouched
  }
  ASSERT_TRUE(kv_->set("agent", "big", "9223372036854775807", 1));
  auto over = kv_->increment("agent", "big", 1, 2);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(get("big"), "9223372036854775807");
}

TEST_F(KvStoreTest, ConcurrentIncrementsFromManyConnectionsLoseNone) {
  constexpr int kThreads = 8, kEach = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      auto db = Database::open(dir_.path() / "nexus.db");
      ASSERT_TRUE(db);
      KvStore kv(**db);
      for (int i = 0; i < kEach; ++i) ASSERT_TRUE(kv.increment("agent", "n", 1, i));
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(get("n"), std::to_string(kThreads * kEach));
}

}  // namespace
}  // namespace naos::store
