#include "base/file_lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_support.h"

namespace naos {
namespace {

TEST(FileLock, ASecondHolderIsRefusedUntilTheFirstLetsGo) {
  testing::TempDir dir;
  auto file = dir.path() / "sub" / "x.lock";
  auto first = FileLock::try_acquire(file);
  ASSERT_TRUE(first) << first.error().to_string();
  ASSERT_TRUE(first->has_value());
  ASSERT_TRUE((*first)->write_holder("123\n"));
  EXPECT_EQ(FileLock::read_holder(file), "123\n");

  auto second = FileLock::try_acquire(file);
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->has_value());
  first->reset();
  auto third = FileLock::try_acquire(file);
  ASSERT_TRUE(third);
  EXPECT_TRUE(third->has_value());
}

TEST(FileLock, ALockDiesWithItsProcess) {
  testing::TempDir dir;
  auto file = dir.path() / "x.lock";
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  if (child == 0) {
    auto held = FileLock::acquire(file);
    char byte = held ? 'y' : 'n';
    if (::write(ready[1], &byte, 1) != 1) _exit(1);
    pause();  // holds until killed
    _exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ASSERT_EQ(byte, 'y');
  auto refused = FileLock::try_acquire(file);
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->has_value());
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  auto acquired = FileLock::acquire(file);  // would block forever on a stale lock
  EXPECT_TRUE(acquired);
  close(ready[0]);
  close(ready[1]);
}

}  // namespace
}  // namespace naos
