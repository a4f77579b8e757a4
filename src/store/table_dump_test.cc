#include "store/table_dump.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace naos::store {
namespace {

TEST(TableDump, EveryStorageClassRoundTripsByteForByteIntoAnotherDatabase) {
  testing::TempDir dir;
  auto from = Database::open(dir.path() / "a.db");
  auto to = Database::open(dir.path() / "b.db");
  ASSERT_TRUE(from && to);
  const std::string not_utf8("caf\xe9\xff\0x", 6);
  ASSERT_TRUE((*from)->exec("INSERT INTO kv(agent, key, value, updated_ms) VALUES ('a', 'k', 'v', 1)"));
  auto insert = (*from)->prepare("INSERT INTO kv(agent, key, value, updated_ms) VALUES ('b', ?1, ?2, 2)");
  ASSERT_TRUE(insert);
  insert->bind(1, std::string_view(not_utf8)).bind_blob(2, not_utf8);
  ASSERT_TRUE(insert->run());

  auto dumped = dump_tables(**from, {});
  ASSERT_TRUE(dumped) << dumped.error().to_string();
  const TableRows* kv = nullptr;
  for (const auto& table : *dumped) {
    if (table.name == "kv") kv = &table;
  }
  ASSERT_NE(kv, nullptr);
  ASSERT_EQ(kv->rows.size(), 2u);

  auto written = (*to)->begin();
  ASSERT_TRUE(written);
  ASSERT_TRUE(insert_rows(**to, *kv));
  ASSERT_TRUE(written->commit());
  auto again = dump_tables(**to, {});
  ASSERT_TRUE(again);
  for (const auto& table : *again) {
    if (table.name != "kv") continue;
    ASSERT_EQ(table.rows.size(), 2u);
    for (size_t row = 0; row < 2; ++row) {
      for (size_t column = 0; column < table.columns.size(); ++column) {
        EXPECT_EQ(table.rows[row][column].kind, kv->rows[row][column].kind);
        EXPECT_EQ(table.rows[row][column].bytes, kv->rows[row][column].bytes);
        EXPECT_EQ(table.rows[row][column].integer, kv->rows[row][column].integer);
      }
    }
  }
}

TEST(TableDump, SkippedTablesAreLeftOutAndUnknownTablesAndColumnsAreRefused) {
  testing::TempDir dir;
  auto db = Database::open(dir.path() / "a.db");
  ASSERT_TRUE(db);
  auto dumped = dump_tables(**db, {"secrets"});
  ASSERT_TRUE(dumped);
  for (const auto& table : *dumped) EXPECT_NE(table.name, "secrets");
  EXPECT_TRUE(*table_is_empty(**db, "kv"));

  TableRows unknown{"no_such_table", {"a"}, {}};
  auto refused = insert_rows(**db, unknown);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kInvalidArgument);
  TableRows bad_column{"kv", {"agent", "nonsense"}, {}};
  refused = insert_rows(**db, bad_column);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("nonsense"), std::string::npos);
}

}  // namespace
}  // namespace naos::store
