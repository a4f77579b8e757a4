// The host's integrity against a hostile agent author or a careless operator
// (issue 19, items 1 and 6), through the real `naos` binary:
//   - data/ (database, keys, compiled modules) can never be granted to an
//     agent, however the grant is spelled or wherever a symlink leads;
//   - a compiled module in the cache is native code, so naos loads only the
//     artifacts it wrote itself for that module;
//   - compiling a module is bounded in time and memory.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <set>

#include <nlohmann/json.hpp>

#include "base/sha256.h"
#include "core/naos.h"
#include "sanitizer.h"
#include "test_env.h"
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
  auto naos = Naos::open(std::move(*opened), clock, testing::env_lookup());
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
  std::set<std::string> keys;
  for (const auto& entry : fs::recursive_directory_iterator(project_ / "data")) {
    if (entry.path().extension() != ".key") continue;
    keys.insert(entry.path().filename().string());
    struct stat info {};
    ASSERT_EQ(::stat(entry.path().c_str(), &info), 0) << entry.path();
    EXPECT_EQ(info.st_mode & 0777, 0600u) << entry.path();
  }
  EXPECT_TRUE(keys.contains("secret.key"));
  EXPECT_TRUE(keys.contains("module_cache.key"));
}

// ---- compiled modules are authenticated ----------------------------------------

// The cached artifact of the module in `wasm_file`.
fs::path cached_artifact(const fs::path& project, const fs::path& wasm_file) {
  std::string hash = sha256_hex(read_file(wasm_file));
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(project / "data" / "cache" / "modules", ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(hash + "-") && name.ends_with(".cwasm")) return entry.path();
  }
  return {};
}

// The module.cache_rejected events, as `naos audit --json` shows them.
nlohmann::json rejections(const testing::CommandResult& audit) {
  auto events = nlohmann::json::parse(audit.out, nullptr, false);
  return events.is_array() ? events : nlohmann::json::array();
}

TEST_F(IntegrityTest, AnotherModulesArtifactCopiedOverAnAgentsIsRejectedRecompiledAndAudited) {
  write_config("  attacker:\n    source: " + agent_path("output_exact").string() + "\n");
  ASSERT_EQ(naos({"run", "victim", "--input", "first"}).out, "first");
  ASSERT_EQ(naos({"run", "attacker"}).exit_status, 0);
  fs::path victim = cached_artifact(project_, agent_path("echo"));
  fs::path attacker = cached_artifact(project_, agent_path("output_exact"));
  ASSERT_FALSE(victim.empty());
  ASSERT_FALSE(attacker.empty());
  EXPECT_EQ(read_file(victim).substr(0, 8), "NAOSMAC1");
  // A genuine artifact, made by this naos with this key, but of another module.
  fs::copy_file(attacker, victim, fs::copy_options::overwrite_existing);

  auto ran = naos({"run", "victim", "--input", "the victim's own code ran"});
  EXPECT_EQ(ran.exit_status, 0) << ran.err;
  EXPECT_EQ(ran.out, "the victim's own code ran");
  auto audit = naos({"audit", "--action", "module.cache_rejected", "--json"});
  auto events = rejections(audit);
  ASSERT_EQ(events.size(), 1u) << audit.out << audit.err;
  EXPECT_EQ(events[0]["payload"]["module_hash"], sha256_hex(read_file(agent_path("echo"))));
  EXPECT_NE(events[0]["payload"]["reason"].get<std::string>().find("authentication tag does not match"),
            std::string::npos)
      << events[0];
  // Replaced with the victim's own: the next run loads it, with nothing to report.
  EXPECT_NE(read_file(victim), read_file(attacker));
  EXPECT_EQ(naos({"run", "victim", "--input", "again"}).out, "again");
  EXPECT_EQ(rejections(naos({"audit", "--action", "module.cache_rejected", "--json"})).size(), 1u);
  EXPECT_EQ(naos({"audit", "verify"}).exit_status, 0);
}

TEST_F(IntegrityTest, AForgedOrUnsignedArtifactIsRejectedAndTheRightModuleRuns) {
  open_once();
  fs::path victim = cached_artifact(project_, agent_path("echo"));
  ASSERT_FALSE(victim.empty());
  std::string genuine = read_file(victim);
  // Wasmtime's own format with no naos header, as an older naos wrote it or
  // as anyone with Wasmtime can make it.
  write_file(victim, genuine.substr(40));
  EXPECT_EQ(naos({"run", "victim", "--input", "one"}).out, "one");
  // The header kept, one byte of the native code changed.
  std::string tampered = read_file(victim);
  tampered[tampered.size() / 2] ^= 0x01;
  write_file(victim, tampered);
  EXPECT_EQ(naos({"run", "victim", "--input", "two"}).out, "two");
  auto events = rejections(naos({"audit", "--action", "module.cache_rejected", "--json"}));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_NE(events[0]["payload"]["reason"].get<std::string>().find("no naos authentication header"),
            std::string::npos);
  EXPECT_NE(events[1]["payload"]["reason"].get<std::string>().find("authentication tag does not match"),
            std::string::npos);
}

// ---- compiling is bounded ------------------------------------------------------

void leb128(std::string& out, uint64_t value) {
  do {
    uint8_t byte = value & 0x7f;
    value >>= 7;
    if (value != 0) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (value != 0);
}

void section(std::string& module, uint8_t id, const std::string& body) {
  module.push_back(static_cast<char>(id));
  leb128(module, body.size());
  module += body;
}

// A valid command module whose _start is `depth` nested `if`s: 400 KB for
// 100,000, and minutes of Cranelift (issue 19, item 6).
std::string nested_ifs(int depth) {
  std::string module("\0asm\x01\0\0\0", 8);
  section(module, 1, std::string("\x01\x60\x00\x00", 4));  // type 0: [] -> []
  section(module, 3, std::string("\x01\x00", 2));            // func 0: type 0
  section(module, 7, std::string("\x01\x06_start\x00\x00", 10));
  std::string body("\x00", 1);  // no locals
  for (int i = 0; i < depth; ++i) body += std::string("\x41\x00\x04\x40", 4);  // i32.const 0; if
  body += std::string(static_cast<size_t>(depth) + 1, '\x0b');                   // end x depth, end of body
  std::string code("\x01", 1);
  leb128(code, body.size());
  code += body;
  section(module, 10, code);
  return module;
}

TEST_F(IntegrityTest, AModuleTooSlowToCompileIsRefusedAsTooComplexAndTheHostCarriesOn) {
  write_file(project_ / "agents" / "deep.wasm", nested_ifs(100'000));
  write_file(project_ / "nexus.config.yaml", "name: integrity\nexecution: { compileTimeout: 1s }\nagents:\n"
                                             "  victim:\n    source: " + agent_path("echo").string() +
                                             "\n  deep:\n    source: agents/deep.wasm\n");
  auto started = std::chrono::steady_clock::now();
  auto ran = naos({"run", "deep", "--json"});
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(ran.exit_status, 1) << ran.out << ran.err;
  auto json = nlohmann::json::parse(ran.out, nullptr, false);
  EXPECT_EQ(json["error"], "module_too_complex") << ran.out;
  EXPECT_NE(ran.out.find("longer than compileTimeout (1s)"), std::string::npos) << ran.out;
  // Bounded by the 1s limit, not by Cranelift's minutes (a generous margin for a busy machine).
  EXPECT_LT(took, std::chrono::seconds(30));
  // Nothing half-made was cached, and the host runs everything else as before.
  EXPECT_TRUE(cached_artifact(project_, project_ / "agents" / "deep.wasm").empty());
  EXPECT_EQ(naos({"run", "victim", "--input", "still fine"}).out, "still fine");
  auto failed = naos({"audit", "--action", "agent.failed", "--json"});
  EXPECT_NE(failed.out.find("module_too_complex"), std::string::npos) << failed.out;
  EXPECT_EQ(naos({"audit", "verify"}).exit_status, 0);
}

TEST_F(IntegrityTest, AModuleTooLargeToCompileInCompileMemoryIsRefusedAsTooComplex) {
  if (testing::kUnderAddressSanitizer) {
    GTEST_SKIP() << "AddressSanitizer cannot run under RLIMIT_AS: its compile children are bounded by time only";
  }
  write_file(project_ / "agents" / "deep.wasm", nested_ifs(100'000));
  write_file(project_ / "nexus.config.yaml", "name: integrity\nexecution: { compileMemory: 128MiB, compileTimeout: 30s }\nagents:\n"
                                             "  deep:\n    source: agents/deep.wasm\n");
  auto ran = naos({"run", "deep", "--json"});
  EXPECT_EQ(ran.exit_status, 1) << ran.out << ran.err;
  auto json = nlohmann::json::parse(ran.out, nullptr, false);
  EXPECT_EQ(json["error"], "module_too_complex") << ran.out;
  EXPECT_NE(ran.out.find("compileMemory (128MiB)"), std::string::npos) << ran.out;
}

TEST_F(IntegrityTest, AWarmRunLoadsTheCachedModuleWithoutCompilingAgain) {
  open_once();  // compiled once, in a child, and cached
  // No compile could finish in 1ms: a run that succeeds did not compile.
  write_file(project_ / "nexus.config.yaml", "name: integrity\nexecution: { compileTimeout: 1ms }\nagents:\n"
                                             "  victim:\n    source: " + agent_path("echo").string() + "\n");
  auto ran = naos({"run", "victim", "--input", "warm"});
  EXPECT_EQ(ran.exit_status, 0) << ran.out << ran.err;
  EXPECT_EQ(ran.out, "warm");
  // While a module not yet compiled is refused under that limit.
  write_config("  other:\n    source: " + agent_path("output_exact").string() + "\n");
  write_file(project_ / "nexus.config.yaml",
             read_file(project_ / "nexus.config.yaml") + "execution: { compileTimeout: 1ms }\n");
  auto cold = naos({"run", "other", "--json"});
  EXPECT_EQ(cold.exit_status, 1) << cold.out << cold.err;
  EXPECT_NE(cold.out.find("module_too_complex"), std::string::npos) << cold.out;
}

}  // namespace
}  // namespace naos
