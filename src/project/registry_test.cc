#include "project/registry.h"

#include <gtest/gtest.h>

#include <set>

#include "test_support.h"

namespace naos::project {
namespace {

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = std::move(*store::Database::open(dir_.path() / "nexus.db"));
    registry_ = std::make_unique<Registry>(*database_);
  }
  AgentRecord make(const std::string& name) {
    AgentRecord record;
    record.name = name;
    record.template_name = "echo";
    auto created = registry_->create(record, 1000);
    EXPECT_TRUE(created) << created.error().to_string();
    return *created;
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<Registry> registry_;
};

TEST_F(RegistryTest, CreatedAgentHasAStableShortIdAndStatusCreated) {
  auto record = make("researcher");
  EXPECT_EQ(record.id, agent_id("researcher"));
  EXPECT_EQ(record.id.size(), 12u);
  auto found = *registry_->find("researcher");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->status, AgentStatus::kCreated);
  EXPECT_EQ(found->template_name, "echo");
  EXPECT_EQ(found->created_ms, 1000);
}

TEST_F(RegistryTest, DuplicateNameIsAlreadyExists) {
  make("a");
  AgentRecord again;
  again.name = "a";
  auto result = registry_->create(again, 2000);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), Code::kAlreadyExists);
}

TEST_F(RegistryTest, LifecycleFollowsTheDocumentedTable) {
  using enum AgentStatus;
  make("a");
  ASSERT_TRUE(registry_->set_module("a", "agents/a/a.wasm", "abc", 2000));
  EXPECT_EQ((*registry_->find("a"))->status, kIdle);
  EXPECT_EQ(*registry_->transition("a", kRunning, 3000), kIdle);
  EXPECT_EQ(*registry_->transition("a", kCompleted, 4000), kRunning);
  auto illegal = registry_->transition("a", kCompleted, 5000);
  ASSERT_FALSE(illegal);
  EXPECT_EQ(illegal.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(illegal.error().message().find("cannot go from completed to completed"), std::string::npos);
  EXPECT_TRUE(registry_->transition("a", kRunning, 6000));  // a new run
  EXPECT_TRUE(registry_->transition("a", kBudgetExceeded, 7000));
  EXPECT_FALSE(registry_->transition("a", kRunning, 8000));  // paused until reset
  EXPECT_TRUE(registry_->transition("a", kIdle, 9000));      // reset
  EXPECT_TRUE(registry_->transition("a", kRunning, 10000));
}

TEST_F(RegistryTest, EveryPairOfStatesIsEitherAllowedOrRefused) {
  using enum AgentStatus;
  // The rules of registry.h, spelled out: only these pairs are allowed.
  std::set<std::pair<AgentStatus, AgentStatus>> allowed = {
      {kCreated, kRunning}, {kIdle, kRunning},       {kCompleted, kRunning},      {kFailed, kRunning},
      {kStopped, kRunning}, {kRunning, kCompleted},  {kRunning, kFailed},         {kRunning, kBudgetExceeded},
      {kRunning, kStopped}, {kIdle, kStopped},       {kCreated, kStopped},        {kCreated, kIdle},
      {kBudgetExceeded, kIdle}, {kIdle, kIdle}};
  for (auto from : {kCreated, kIdle, kRunning, kStopped, kCompleted, kFailed, kBudgetExceeded}) {
    for (auto to : {kCreated, kIdle, kRunning, kStopped, kCompleted, kFailed, kBudgetExceeded}) {
      EXPECT_EQ(transition_allowed(from, to), allowed.count({from, to}) == 1)
          << status_name(from) << " -> " << status_name(to);
    }
  }
}

TEST_F(RegistryTest, RunningAgentCannotBeDeleted) {
  make("a");
  ASSERT_TRUE(registry_->transition("a", AgentStatus::kRunning, 2000));
  auto refused = registry_->remove("a");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.error().message().find("stop it first"), std::string::npos);
  ASSERT_TRUE(registry_->transition("a", AgentStatus::kStopped, 3000));
  EXPECT_TRUE(registry_->remove("a"));
  EXPECT_FALSE(*registry_->find("a"));
  EXPECT_EQ(registry_->remove("a").error().code(), Code::kNotFound);
}

TEST_F(RegistryTest, ListIsSortedByName) {
  make("b");
  make("a");
  auto all = *registry_->list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "a");
  EXPECT_EQ(all[1].name, "b");
}

}  // namespace
}  // namespace naos::project
