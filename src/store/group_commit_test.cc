#include "store/group_commit.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "test_support.h"

namespace naos::store {
namespace {

// A write that throws (a bug, such as nlohmann's type_error on bytes that
// are not UTF-8) fails alone: what it changed is undone, the rest of its
// batch commits, and the writer goes on serving later writes; a throwing
// completion callback does not end the writer either.
TEST(GroupCommit, AThrowingWriteFailsAloneAndLaterWritesStillCommit) {
  testing::TempDir dir;
  auto file = dir.path() / "nexus.db";
  auto writer = std::move(*GroupCommit::open(file));
  ASSERT_TRUE(writer->write([](Database& db) { return db.exec("CREATE TABLE t(x INTEGER PRIMARY KEY)"); }));
  auto insert = [](int64_t x) {
    return [x](Database& db) -> Status { return db.exec("INSERT INTO t VALUES (" + std::to_string(x) + ")"); };
  };
  std::vector<std::future<Status>> done;
  done.push_back(writer->submit(insert(1)));
  done.push_back(writer->submit([](Database& db) -> Status {
    NAOS_TRY(db.exec("INSERT INTO t VALUES (50)"));
    throw std::runtime_error("boom");
  }));
  done.push_back(writer->submit([](Database&) -> Status { throw 42; }, GroupCommit::Undo::kItself));
  writer->enqueue(insert(2), [](Status) { throw std::runtime_error("callback boom"); });
  done.push_back(writer->submit(insert(3)));
  std::vector<bool> ok;
  for (auto& d : done) ok.push_back(bool(d.get()));
  EXPECT_EQ(ok, (std::vector<bool>{true, false, false, true}));
  auto failed = writer->submit([](Database&) -> Status { throw std::runtime_error("boom"); }).get();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), Code::kInternal);
  EXPECT_NE(failed.error().message().find("boom"), std::string::npos);
  EXPECT_TRUE(writer->write(insert(4)));  // the writer still serves
  writer.reset();
  auto db = std::move(*Database::open(file));
  auto rows = db->prepare("SELECT group_concat(x) FROM (SELECT x FROM t ORDER BY x)");
  ASSERT_TRUE(rows && *rows->step());
  EXPECT_EQ(rows->column_text(0), "1,2,3,4");
}

}  // namespace
}  // namespace naos::store
