#include "governance/witness.h"

#include <gtest/gtest.h>

#include <set>

#include "base/sha256.h"
#include "test_support.h"

namespace naos::governance {
namespace {

std::string hash_of(int64_t seq) { return sha256_hex("event " + std::to_string(seq)); }

WitnessEntry head(int64_t seq) {
  return {WitnessEntry::Kind::kHead, seq, hash_of(seq), 1'700'000'000'000 + seq, std::string(128, 'a')};
}

class WitnessTest : public ::testing::Test {
 protected:
  std::filesystem::path file() const { return dir_.path() / "witness.log"; }
  std::set<int64_t> seqs() {
    auto record = Witness::read(file());
    EXPECT_TRUE(record);
    std::set<int64_t> out;
    for (const auto& entry : record->heads) out.insert(entry.seq);
    return out;
  }
  testing::TempDir dir_;
};

TEST_F(WitnessTest, EntriesRoundTripAndOnlyThoseAfterTheLastBaselineCount) {
  auto witness = std::move(*Witness::open(file()));
  ASSERT_TRUE(witness->append(head(1)));
  WitnessEntry baseline = head(2);
  baseline.kind = WitnessEntry::Kind::kBaseline;
  baseline.prefix_digest = hash_of(0);
  ASSERT_TRUE(witness->append(baseline));
  ASSERT_TRUE(witness->append(head(3)));
  auto record = Witness::read(file());
  ASSERT_TRUE(record);
  ASSERT_TRUE(record->baseline);
  EXPECT_EQ(record->baseline->seq, 2);
  EXPECT_EQ(record->baseline->prefix_digest, hash_of(0));
  ASSERT_EQ(record->heads.size(), 1u);
  EXPECT_EQ(record->heads[0].hash, hash_of(3));
  EXPECT_EQ(record->newest()->seq, 3);
}

TEST_F(WitnessTest, ATornLastLineDoesNotSwallowTheNextEntry) {
  testing::write_file(file(), Witness::format(head(1)) + "head 2 abc");
  auto witness = std::move(*Witness::open(file()));
  ASSERT_TRUE(witness->append(head(3)));
  EXPECT_EQ(seqs(), (std::set<int64_t>{1, 3}));
}

TEST_F(WitnessTest, CompactionKeepsOnePerThousandTheNewestAndEveryHeadTheLogDisagreesWith) {
  auto witness = std::move(*Witness::open(file()));
  int64_t seq = 0;
  while (!witness->needs_compaction()) ASSERT_TRUE(witness->append(head(++seq)));
  ASSERT_GT(seq, 3000);
  // The log now disagrees at 2500 (rewritten) and has nothing past seq - 5 (truncated).
  int64_t truncated_after = seq - 5;
  ASSERT_TRUE(witness->compact([&](int64_t at) -> Result<std::optional<std::string>> {
    if (at > truncated_after) return std::optional<std::string>();
    if (at == 2500) return std::optional<std::string>(hash_of(-1));
    return std::optional<std::string>(hash_of(at));
  }));
  EXPECT_FALSE(witness->needs_compaction());
  std::set<int64_t> expected = {1, 1000, 2000, 2500, 3000};
  for (int64_t thousand = 4000; thousand <= seq; thousand += 1000) expected.insert(thousand);
  for (int64_t gone = truncated_after + 1; gone <= seq; ++gone) expected.insert(gone);
  EXPECT_EQ(seqs(), expected);
}

TEST_F(WitnessTest, AnAppenderOnTheFileACompactionReplacedWritesToTheNewFile) {
  auto compactor = std::move(*Witness::open(file()));
  auto appender = std::move(*Witness::open(file()));  // another process, opened before the compaction
  int64_t seq = 0;
  while (!compactor->needs_compaction()) ASSERT_TRUE(compactor->append(head(++seq)));
  ASSERT_TRUE(compactor->compact(
      [](int64_t at) -> Result<std::optional<std::string>> { return std::optional<std::string>(hash_of(at)); }));
  ASSERT_TRUE(appender->append(head(seq + 1)));
  ASSERT_TRUE(compactor->append(head(seq + 2)));
  auto kept = seqs();
  EXPECT_TRUE(kept.contains(seq + 1));
  EXPECT_TRUE(kept.contains(seq + 2));
  EXPECT_LT(kept.size(), 20u);
}

}  // namespace
}  // namespace naos::governance
