// kill -9 during a burst of 10,000 audit writes: the chain still verifies and
// contains every event that was acknowledged before the kill.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <sstream>

#include "governance/audit_log.h"
#include "test_support.h"

namespace naos {
namespace {

struct Acknowledged {
  std::string id;
  int64_t seq;
};

TEST(AuditCrash, KillNineMidBurstLosesNoAcknowledgedEventAndKeepsTheChain) {
  testing::TempDir dir;
  auto db_file = dir.path() / "nexus.db", key_file = dir.path() / "audit.key";
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    execl(NAOS_AUDIT_BURST, NAOS_AUDIT_BURST, db_file.c_str(), key_file.c_str(), "4", "2500", nullptr);
    _exit(127);
  }
  close(out[1]);
  // Read acknowledgements until a good part of the burst is done, then kill.
  std::string received;
  char buffer[4096];
  while (std::count(received.begin(), received.end(), '\n') < 3000) {
    ssize_t n = read(out[0], buffer, sizeof buffer);
    ASSERT_GT(n, 0) << "audit_burst ended before the kill";
    received.append(buffer, static_cast<size_t>(n));
  }
  kill(pid, SIGKILL);
  ssize_t n;
  while ((n = read(out[0], buffer, sizeof buffer)) > 0) received.append(buffer, static_cast<size_t>(n));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the burst finished before it was killed; make it longer";

  std::vector<Acknowledged> acknowledged;
  std::istringstream lines(received);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;  // a line cut by the kill has no newline and was never complete
    std::istringstream fields(line);
    int thread, index;
    int64_t seq;
    fields >> thread >> index >> seq;
    acknowledged.push_back({std::to_string(thread) + "-" + std::to_string(index), seq});
  }
  ASSERT_GE(acknowledged.size(), 3000u);

  auto db = std::move(*store::Database::open(db_file));
  auto key = governance::AuditKey::load(key_file);
  ASSERT_TRUE(key);
  auto report = governance::verify_audit(*db, *key);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->intact) << report->problem;
  EXPECT_GE(report->events, static_cast<int64_t>(acknowledged.size()));

  auto events = governance::query_audit(*db, {});
  ASSERT_TRUE(events);
  std::map<int64_t, std::string> id_at;
  for (const auto& e : *events) id_at[e.seq] = nlohmann::json::parse(e.payload)["id"];
  for (const auto& ack : acknowledged) {
    ASSERT_TRUE(id_at.count(ack.seq)) << "acknowledged event #" << ack.seq << " is gone";
    EXPECT_EQ(id_at[ack.seq], ack.id);
  }
  RecordProperty("acknowledged_before_kill", std::to_string(acknowledged.size()));
  RecordProperty("events_on_disk", std::to_string(report->events));
}

}  // namespace
}  // namespace naos
