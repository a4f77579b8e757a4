// process_alive: this process is alive; a process that has exited, even one
// not yet reaped, is not; and a pid with another start time is another process.
#include "base/process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace naos {
namespace {

TEST(Process, ThisProcessIsAliveAndKnowsItsStartTime) {
  EXPECT_EQ(this_process().pid, ::getpid());
  EXPECT_GT(this_process().start_ticks, 0);
  EXPECT_TRUE(process_alive(this_process()));
  EXPECT_TRUE(process_alive(::getpid()));
}

// Found by bench_budget_reserve: a child forked after its parent asked
// took the parent's identity, so both owned the same reservation rows.
TEST(Process, AForkedChildIsItselfNotItsParent) {
  ProcessIdentity parent = this_process();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  if (child == 0) {
    ProcessIdentity self = this_process();
    int64_t seen[2] = {self.pid, self.start_ticks};
    _exit(write(fds[1], seen, sizeof seen) == sizeof seen ? 0 : 1);
  }
  close(fds[1]);
  int64_t seen[2] = {0, 0};
  ASSERT_EQ(read(fds[0], seen, sizeof seen), static_cast<ssize_t>(sizeof seen));
  close(fds[0]);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(seen[0], child);
  EXPECT_NE(seen[0], parent.pid);
  EXPECT_GE(seen[1], parent.start_ticks);
  EXPECT_GT(seen[1], 0);
}

TEST(Process, ASameNumberedProcessStartedAtAnotherTimeIsNotTheOwner) {
  ProcessIdentity earlier = this_process();
  earlier.start_ticks -= 1;
  EXPECT_FALSE(process_alive(earlier));
  ProcessIdentity unknown_start{::getpid(), 0};
  EXPECT_TRUE(process_alive(unknown_start));
}

TEST(Process, AnExitedChildIsDeadBeforeAndAfterItIsReaped) {
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(child, 0);
  EXPECT_TRUE(process_alive(child));
  ::kill(child, SIGKILL);
  bool dead = false;
  for (int i = 0; i < 1000 && !dead; ++i) {  // a zombie until waitpid below
    dead = !process_alive(child);
    if (!dead) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(dead);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_FALSE(process_alive(child));
  EXPECT_FALSE(process_alive(ProcessIdentity{child, 0}));
  EXPECT_FALSE(process_alive(0));
  EXPECT_FALSE(process_alive(-1));
}

}  // namespace
}  // namespace naos
