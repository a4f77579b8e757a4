// `naos export` and `naos import` through the real binary: a project's whole
// state into one file and back into a new project, its history still verified.
#include <functional>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace naos {
namespace {

using testing::agent_path;
using testing::run_naos;
using testing::write_file;

class CliArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = "name: archived\nagents:\n  counter:\n    source: " + agent_path("kv-counter").string() +
              "\n    capabilities: { kv: true }\n  spender:\n    source: " + agent_path("cost_user").string() +
              "\n  echo:\n    source: " + agent_path("echo").string() +
              "\nworkflows:\n  twice: { steps: [ { name: first, agent: echo }, { name: second, agent: echo } ] }\n";
    write_file(source_.path() / "nexus.config.yaml", config_);
  }
  testing::CommandResult in(const testing::TempDir& dir, const std::vector<std::string>& args,
                            const std::string& input = "") {
    return run_naos(args, dir.path(), input);
  }
  // A project with history: runs, kv state, a budget and its ledger, a
  // workflow run with its journal, a secret.
  void fill_source() {
    ASSERT_EQ(in(source_, {"create", "--from-config"}).exit_status, 0);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(in(source_, {"run", "counter"}).exit_status, 0);
    ASSERT_EQ(in(source_, {"cost", "set", "spender", "--budget", "$10/day"}).exit_status, 0);
    ASSERT_EQ(in(source_, {"run", "spender"}).exit_status, 0);
    ASSERT_EQ(in(source_, {"workflow", "run", "twice", "--input", "hi", "--id", "wf-1"}).exit_status, 0);
    ASSERT_EQ(in(source_, {"secret", "set", "API_KEY"}, "s3cret-value").exit_status, 0);
  }
  std::filesystem::path archive() const { return source_.path() / "backup.json"; }
  // The command's JSON, without what depends on the moment it ran
  // (resets_in_ms counts down).
  nlohmann::json json_of(const testing::CommandResult& result) {
    EXPECT_EQ(result.exit_status, 0) << result.err;
    auto json = nlohmann::json::parse(result.out, nullptr, false);
    std::function<void(nlohmann::json&)> drop_countdowns = [&](nlohmann::json& value) {
      if (value.is_object()) value.erase("resets_in_ms");
      if (value.is_structured()) {
        for (auto& child : value) drop_countdowns(child);
      }
    };
    drop_countdowns(json);
    return json;
  }

  std::string config_;
  testing::TempDir source_;
  testing::TempDir target_;
};

TEST_F(CliArchiveTest, ExportThenImportRestoresTheWholeProjectAndItsHistoryVerifies) {
  fill_source();
  auto exported = in(source_, {"export", "--format", "json", "--output", archive().string(), "--json"});
  ASSERT_EQ(exported.exit_status, 0) << exported.err;
  std::string text = testing::read_file(archive());
  EXPECT_EQ(text.find("s3cret-value"), std::string::npos) << "a secret's value left the machine";
  EXPECT_EQ(std::filesystem::status(archive()).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);
  auto summary = nlohmann::json::parse(exported.out);
  EXPECT_EQ(summary["secrets"], nlohmann::json::array({"API_KEY"}));

  ASSERT_EQ(in(target_, {"init", "."}).exit_status, 0);
  auto imported = in(target_, {"import", archive().string(), "--json"});
  ASSERT_EQ(imported.exit_status, 0) << imported.err << imported.out;
  EXPECT_EQ(nlohmann::json::parse(imported.out)["secrets_to_set"], nlohmann::json::array({"API_KEY"}));
  EXPECT_EQ(testing::read_file(target_.path() / "nexus.config.yaml"), config_);

  auto verified = in(target_, {"audit", "verify"});
  EXPECT_EQ(verified.exit_status, 0) << verified.out << verified.err;
  auto target_seq = json_of(in(target_, {"audit", "--json", "--last", "1"}))[0]["id"].get<int64_t>();
  // The import's baseline is the witness: nothing before it is unwitnessed.
  EXPECT_NE(verified.out.find("witnessed to #" + std::to_string(target_seq)), std::string::npos) << verified.out;

  // Every view a user has of the project says the same in both.
  for (const std::vector<std::string>& view :
       {std::vector<std::string>{"status", "--json"}, {"cost", "status", "--json"}, {"runs", "--json"},
        {"inspect", "wf-1", "--json"}, {"inspect", "counter", "--state", "--json"}}) {
    EXPECT_EQ(json_of(in(target_, view)), json_of(in(source_, view))) << view[0];
  }
  // The history is the source's, event for event, then the import.
  auto source_events = json_of(in(source_, {"audit", "--json", "--last", "1000"}));
  auto target_events = json_of(in(target_, {"audit", "--json", "--last", "1000"}));
  ASSERT_EQ(target_events.size(), source_events.size() + 1);
  for (size_t i = 0; i < source_events.size(); ++i) EXPECT_EQ(target_events[i]["hash"], source_events[i]["hash"]);
  EXPECT_EQ(target_events.back()["action"], "project.imported");
  EXPECT_EQ(target_events.back()["payload"]["source_head"]["hash"], source_events.back()["hash"]);

  // State carries on where it was: the counter's fourth run says 4.
  auto counted = in(target_, {"run", "counter"});
  EXPECT_EQ(counted.exit_status, 0) << counted.err;
  EXPECT_EQ(counted.out, "4\n");
  EXPECT_EQ(in(target_, {"audit", "verify"}).exit_status, 0);
}

TEST_F(CliArchiveTest, ImportRefusesAProjectThatIsNotEmpty) {
  fill_source();
  ASSERT_EQ(in(source_, {"export", "--output", archive().string()}).exit_status, 0);
  auto refused = in(source_, {"import", archive().string()});
  EXPECT_EQ(refused.exit_status, 2);
  EXPECT_NE(refused.err.find("not empty"), std::string::npos) << refused.err;
  EXPECT_EQ(in(source_, {"audit", "verify"}).exit_status, 0) << "a refused import changed the project";
}

TEST_F(CliArchiveTest, ImportRefusesAnArchiveWhoseHistoryWasEdited) {
  fill_source();
  ASSERT_EQ(in(source_, {"export", "--output", archive().string()}).exit_status, 0);
  auto archive_json = nlohmann::json::parse(testing::read_file(archive()));
  auto& events = archive_json["tables"]["audit_events"];
  auto columns = events["columns"].get<std::vector<std::string>>();
  size_t actor = std::find(columns.begin(), columns.end(), "actor") - columns.begin();
  events["rows"][2][actor] = "someone-else";  // event #3 rewritten, hashes left alone
  write_file(archive(), archive_json.dump());

  ASSERT_EQ(in(target_, {"init", "."}).exit_status, 0);
  auto refused = in(target_, {"import", archive().string()});
  EXPECT_EQ(refused.exit_status, 2);
  EXPECT_NE(refused.err.find("broken at event #3"), std::string::npos) << refused.err;
  EXPECT_EQ(json_of(in(target_, {"status", "--json"})).size(), 0u) << "a refused import wrote rows";
}

TEST_F(CliArchiveTest, BadArchivesAndFormatsGetClearErrors) {
  ASSERT_EQ(in(target_, {"init", "."}).exit_status, 0);
  write_file(target_.path() / "junk.json", "{not json");
  auto junk = in(target_, {"import", "junk.json"});
  EXPECT_EQ(junk.exit_status, 2);
  EXPECT_NE(junk.err.find("not JSON"), std::string::npos) << junk.err;
  write_file(target_.path() / "other.json", "{\"format\": \"something\"}");
  auto other = in(target_, {"import", "other.json"});
  EXPECT_EQ(other.exit_status, 2);
  EXPECT_NE(other.err.find("not a naos archive"), std::string::npos) << other.err;
  auto missing = in(target_, {"import", "nowhere.json"});
  EXPECT_EQ(missing.exit_status, 2);
  auto yaml = in(target_, {"export", "--format", "yaml", "--output", "x"});
  EXPECT_EQ(yaml.exit_status, 2);
  EXPECT_NE(yaml.err.find("json"), std::string::npos) << yaml.err;
}

}  // namespace
}  // namespace naos
