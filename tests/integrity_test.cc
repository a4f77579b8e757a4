// The host's integrity against a hostile agent author or a careless operator
// (issue 19, items 1 and 6), through the real `naos` binary:
//   - data/ (database, keys, compiled modules) can never be granted to an
//     agent, however the grant is spelled or wherever a symlink leads;
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "core/naos.h"
#include "test_support.h"

namespace naos {
namespace {

namespace fs = std::filesystem;
using testing::agent_path;
using testing::read_file;
using testing::run_naos;
using testing::write_file;

class IntegrityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(project_);
    fs::create_directories(outside_ / "loot");
    write_config("");
  }

  // A project with a harmless agent, plus `extra` under `agents:`.
  void write_config(const std::string& extra) {
    write_file(project_ / "nexus.config.yaml", "name: integrity\nagents:\n  victim:\n    source: " +
                                                   agent_path("echo").string() + "\n" + extra);
  }

  // The config with an agent `thief` granted `folder` to write.
  void grant_thief(const std::string& folder) {
    write_config("  thief:\n    source: " + agent_path("write_output").string() +
                 "\n    capabilities: { filesystem: { write: [\"" + folder + "\"] } }\n");
  }

  testing::CommandResult naos(const std::vector<std::string>& args, const std::string& input = "") {
    return run_naos(args, project_, input);
  }

  // Makes data/ and its keys as any command does.
  void open_once() {
    auto ran = naos({"run", "victim", "--input", "hello"});
    ASSERT_EQ(ran.exit_status, 0) << ran.err;
  }

  testing::TempDir dir_;
  fs::path project_ = dir_.path() / "project";
  fs::path outside_ = dir_.path() / "outside";
};

// ---- data/ is the host's -----------------------------------------------------

struct RefusedGrant {
  std::string folder;
  std::string reason;  // in the message
};

TEST_F(IntegrityTest, AGrantOfDataTheRootOrOutsideIsRefusedByValidateAndByRun) {
  open_once();
  fs::create_directory_symlink("data", project_ / "loot");
  fs::create_directory_symlink(outside_ / "loot", project_ / "away");
  fs::create_directory_symlink(".", project_ / "here");
  fs::create_directories(project_ / "Data");  // a separate folder here; data/ itself on a case-insensitive disk
  fs::create_directories(dir_.path() / "x");
  const std::vector<RefusedGrant> refused = {
      {"data", "data/ is the host's"},
      {".", "is the project root"},
      {"./", "is the project root"},
      {"data/cache", "data/ is the host's"},
      {"data/cache/modules", "data/ is the host's"},
      {"loot", "resolves into data/"},
      {"loot/cache", "resolves into data/"},
      {"here", "resolves to the project root"},
      {"away", "resolves outside the project"},
      {"../x", "must be a folder inside the project"},
      {"Data", "data/ is the host's"},
      {"DATA/cache", "data/ is the host's"},
      {"/etc", "must be a folder inside the project"},
  };
  for (const auto& grant : refused) {
    SCOPED_TRACE("write: [" + grant.folder + "]");
    grant_thief(grant.folder);
    auto validated = naos({"config", "validate"});
    EXPECT_EQ(validated.exit_status, 2) << validated.out;
    // file:line:col: key path: reason (docs/config.md).
    EXPECT_NE(validated.err.find("nexus.config.yaml:7:"), std::string::npos) << validated.err;
    EXPECT_NE(validated.err.find("agents.thief.capabilities.filesystem.write[0]: "), std::string::npos)
        << validated.err;
    EXPECT_NE(validated.err.find(grant.reason), std::string::npos) << validated.err;
    auto ran = naos({"run", "thief", "--input", "pwned"});
    EXPECT_EQ(ran.exit_status, 2) << ran.out;
    EXPECT_NE(ran.err.find(grant.reason), std::string::npos) << ran.err;
  }
  EXPECT_FALSE(fs::exists(project_ / "data" / "outputs"));
  EXPECT_FALSE(fs::exists(project_ / "data" / "result.txt"));
}

TEST_F(IntegrityTest, ValidateRefusesAGrantedFolderThatDoesNotExist) {
  write_config("  reader:\n    source: " + agent_path("echo").string() +
               "\n    capabilities: { filesystem: { read: [nonexistent] } }\n");
  auto validated = naos({"config", "validate"});
  EXPECT_EQ(validated.exit_status, 2);
  EXPECT_NE(validated.err.find("nexus.config.yaml:7:42: agents.reader.capabilities.filesystem.read[0]: does not "
                               "exist in the project"),
            std::string::npos)
      << validated.err;
  // Other commands still load the project; only that agent's run is refused.
  EXPECT_EQ(naos({"run", "victim", "--input", "x"}).exit_status, 0);
  auto ran = naos({"run", "reader"});
  EXPECT_EQ(ran.exit_status, 2);
  EXPECT_NE(ran.err.find("granted folder nonexistent does not exist"), std::string::npos) << ran.err;
  fs::create_directories(project_ / "nonexistent");
  EXPECT_EQ(naos({"config", "validate"}).exit_status, 0);
}

TEST_F(IntegrityTest, AFolderSwappedForASymlinkToDataAfterLoadingIsRefusedWhenTheRunStarts) {
  open_once();
  fs::create_directories(project_ / "outputs");
  grant_thief("outputs");
  testing::FakeClock clock;
  auto opened = project::Project::open(project_);
  ASSERT_TRUE(opened) << opened.error().to_string();
  auto naos = Naos::open(std::move(*opened), clock, [](const std::string&) { return std::nullopt; });
  ASSERT_TRUE(naos) << naos.error().to_string();
  // Valid when loaded; then the operator (or anything with write access to
  // the project) turns the folder into a way into data/.
  fs::remove(project_ / "outputs");
  fs::create_directory_symlink("data", project_ / "outputs");
  RunOptions options;
  options.input = "pwned";
  auto ran = (*naos)->run("thief", options);
  ASSERT_FALSE(ran) << "ran with output " << ran->outcome.output;
  EXPECT_EQ(ran.error().code(), Code::kPermissionDenied) << ran.error().to_string();
  EXPECT_NE(ran.error().message().find("granted folder outputs resolves into data/"), std::string::npos)
      << ran.error().to_string();
  EXPECT_FALSE(fs::exists(project_ / "data" / "result.txt"));
}

TEST_F(IntegrityTest, KeyFilesAreReadableByTheOwnerOnly) {
  open_once();
  for (const char* key : {"secret.key", "audit.key"}) {
    struct stat info {};
    ASSERT_EQ(::stat((project_ / "data" / key).c_str(), &info), 0) << key;
    EXPECT_EQ(info.st_mode & 0777, 0600u) << key;
  }
}

}  // namespace
}  // namespace naos
