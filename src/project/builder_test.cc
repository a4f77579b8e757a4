// project/builder.h: `naos build` with the real clang and go, in temporary
// folders. Missing and too-old tools are simulated with a PATH that lacks
// them or holds a fake.
#include "project/builder.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/sha256.h"
#include "test_support.h"

namespace naos::project {
namespace {

using naos::testing::agent_path;
using naos::testing::read_file;
using naos::testing::TempDir;
using naos::testing::write_file;

constexpr const char* kHelloC = R"(#include <stdio.h>
#include "nexus.h"
int main(void) { nexus_log(NEXUS_LOG_INFO, "hi"); puts("hello"); return 0; }
)";

constexpr const char* kHelloGoMod = "module naos.local/agents/hello\n\ngo 1.21\n";
constexpr const char* kHelloGo = R"(package main

import "fmt"

func main() { fmt.Print("hello") }
)";

BuildTools RealTools() { return BuildTools::find(process_environment()); }

// Files in `dir` other than those named.
std::vector<std::string> Leftovers(const std::filesystem::path& dir, const std::vector<std::string>& expected) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    auto name = entry.path().filename().string();
    if (std::find(expected.begin(), expected.end(), name) == expected.end()) out.push_back(name);
  }
  return out;
}

void WriteExecutable(const std::filesystem::path& file, const std::string& script) {
  write_file(file, script);
  ::chmod(file.c_str(), 0755);
}

TEST(BuildTools, FindLooksOnlyOnThePathItIsGiven) {
  TempDir dir;
  WriteExecutable(dir.path() / "bin" / "clang-17", "#!/bin/sh\nexit 0\n");
  write_file(dir.path() / "bin" / "clang", "not executable");
  auto tools = BuildTools::find({"PATH=/nonexistent:" + (dir.path() / "bin").string(), "HOME=/tmp"});
  EXPECT_EQ(tools.clang, dir.path() / "bin" / "clang-17");
  EXPECT_EQ(tools.environment.size(), 2u);

  auto none = BuildTools::find({"PATH=/nonexistent"});
  EXPECT_TRUE(none.clang.empty());
}

TEST(BuildC, CompilesEveryCFileIntoNameDotWasm) {
  TempDir dir;
  write_file(dir.path() / "main.c", kHelloC);
  write_file(dir.path() / "util.c", "int util(void) { return 1; }\n");
  auto built = build_agent(dir.path(), "hello", RealTools());
  ASSERT_TRUE(built) << built.error().to_string();
  EXPECT_EQ(built->kind, SourceKind::kC);
  EXPECT_TRUE(built->compiled);
  EXPECT_EQ(built->module_file, dir.path() / "hello.wasm");
  auto bytes = read_file(built->module_file);
  EXPECT_EQ(bytes.substr(0, 4), std::string("\0asm", 4));
  EXPECT_EQ(built->module_hash, sha256_hex(bytes));
  EXPECT_EQ(built->module_bytes, bytes.size());
  // nexus.h came from the copy built into naos; nothing is left behind.
  EXPECT_EQ(Leftovers(dir.path(), {"main.c", "util.c", "hello.wasm"}), std::vector<std::string>{});
}

TEST(BuildC, ASyntaxErrorFailsWithClangsMessageAndWritesNoModule) {
  TempDir dir;
  write_file(dir.path() / "main.c", "int main(void) { return 0 }\n");
  auto built = build_agent(dir.path(), "broken", RealTools());
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().code(), Code::kInvalidArgument);
  const auto& message = built.error().message();
  EXPECT_NE(message.find("clang failed"), std::string::npos) << message;
  EXPECT_NE(message.find("main.c:1:"), std::string::npos) << message;
  EXPECT_NE(message.find("expected ';'"), std::string::npos) << message;
  EXPECT_EQ(built.error().context(), dir.path().string());
  EXPECT_EQ(Leftovers(dir.path(), {"main.c"}), std::vector<std::string>{});
}

TEST(BuildC, AFailedRebuildKeepsThePreviousModuleUntouched) {
  TempDir dir;
  write_file(dir.path() / "main.c", kHelloC);
  auto first = build_agent(dir.path(), "hello", RealTools());
  ASSERT_TRUE(first) << first.error().to_string();
  write_file(dir.path() / "main.c", "this is not C\n");
  auto second = build_agent(dir.path(), "hello", RealTools());
  ASSERT_FALSE(second);
  EXPECT_EQ(sha256_hex(read_file(dir.path() / "hello.wasm")), first->module_hash);
  EXPECT_EQ(Leftovers(dir.path(), {"main.c", "hello.wasm"}), std::vector<std::string>{});
}

TEST(BuildC, AMissingClangIsAClearErrorNamingThePackages) {
  TempDir dir;
  write_file(dir.path() / "main.c", kHelloC);
  auto tools = RealTools();
  tools.clang.clear();
  auto built = build_agent(dir.path(), "hello", tools);
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(built.error().message().find("clang not found"), std::string::npos) << built.error().message();
  EXPECT_NE(built.error().message().find("apt-get install clang lld wasi-libc"), std::string::npos);
}

TEST(BuildC, AClangWithoutWasiSupportGetsAHint) {
  TempDir dir;
  write_file(dir.path() / "main.c", kHelloC);
  WriteExecutable(dir.path() / "bin" / "clang",
                  "#!/bin/sh\necho 'clang: error: unable to execute command: Executable \"wasm-ld\" "
                  "doesn'\\''t exist!' >&2\nexit 1\n");
  auto tools = RealTools();
  tools.clang = dir.path() / "bin" / "clang";
  auto built = build_agent(dir.path(), "hello", tools);
  ASSERT_FALSE(built);
  EXPECT_NE(built.error().message().find("wasm-ld"), std::string::npos) << built.error().message();
  EXPECT_NE(built.error().message().find("libclang-rt-14-dev-wasm32"), std::string::npos) << built.error().message();
}

TEST(BuildC, ACompilerThatWritesNoModuleIsNotASuccess) {
  TempDir dir;
  write_file(dir.path() / "main.c", kHelloC);
  WriteExecutable(dir.path() / "bin" / "clang", "#!/bin/sh\nexit 0\n");
  auto tools = RealTools();
  tools.clang = dir.path() / "bin" / "clang";
  auto built = build_agent(dir.path(), "hello", tools);
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().code(), Code::kInternal);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "hello.wasm"));
}

TEST(BuildGo, CompilesAGoModuleForWasip1) {
  TempDir dir;
  write_file(dir.path() / "go.mod", kHelloGoMod);
  write_file(dir.path() / "main.go", kHelloGo);
  auto built = build_agent(dir.path(), "hello", RealTools());
  ASSERT_TRUE(built) << built.error().to_string();
  EXPECT_EQ(built->kind, SourceKind::kGo);
  auto bytes = read_file(dir.path() / "hello.wasm");
  EXPECT_EQ(bytes.substr(0, 4), std::string("\0asm", 4));
  EXPECT_EQ(built->module_hash, sha256_hex(bytes));
  EXPECT_EQ(Leftovers(dir.path(), {"go.mod", "main.go", "hello.wasm"}), std::vector<std::string>{});
}

TEST(BuildGo, ACompileErrorCarriesGosMessage) {
  TempDir dir;
  write_file(dir.path() / "go.mod", kHelloGoMod);
  write_file(dir.path() / "main.go", "package main\n\nfunc main() { undefinedThing() }\n");
  auto built = build_agent(dir.path(), "hello", RealTools());
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().code(), Code::kInvalidArgument);
  EXPECT_NE(built.error().message().find("main.go:3"), std::string::npos) << built.error().message();
  EXPECT_NE(built.error().message().find("undefined: undefinedThing"), std::string::npos) << built.error().message();
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "hello.wasm"));
}

TEST(BuildGo, AMissingGoIsAClearError) {
  TempDir dir;
  write_file(dir.path() / "go.mod", kHelloGoMod);
  auto tools = RealTools();
  tools.go.clear();
  auto built = build_agent(dir.path(), "hello", tools);
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(built.error().message().find("go not found"), std::string::npos) << built.error().message();
  EXPECT_NE(built.error().message().find("Go >= 1.21"), std::string::npos) << built.error().message();
}

TEST(BuildGo, AGoOlderThan121IsRefused) {
  TempDir dir;
  write_file(dir.path() / "go.mod", kHelloGoMod);
  write_file(dir.path() / "main.go", kHelloGo);
  WriteExecutable(dir.path() / "bin" / "go", "#!/bin/sh\necho go1.19.8\n");
  auto tools = RealTools();
  tools.go = dir.path() / "bin" / "go";
  auto built = build_agent(dir.path(), "hello", tools);
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(built.error().message().find("go1.19.8"), std::string::npos) << built.error().message();
  EXPECT_NE(built.error().message().find("Go >= 1.21"), std::string::npos) << built.error().message();
}

TEST(BuildWasm, AReadyModuleIsAcceptedAsIs) {
  TempDir dir;
  auto bytes = read_file(agent_path("echo"));
  write_file(dir.path() / "ready.wasm", bytes);
  auto tools = BuildTools::find({"PATH=/nonexistent"});  // no compiler needed
  auto built = build_agent(dir.path(), "ready", tools);
  ASSERT_TRUE(built) << built.error().to_string();
  EXPECT_EQ(built->kind, SourceKind::kWasm);
  EXPECT_FALSE(built->compiled);
  EXPECT_EQ(built->module_hash, sha256_hex(bytes));
  EXPECT_EQ(read_file(dir.path() / "ready.wasm"), bytes);
}

TEST(BuildWasm, AReadyFileThatIsNotWasmIsRefused) {
  TempDir dir;
  write_file(dir.path() / "ready.wasm", "#!/bin/sh\n");
  auto built = build_agent(dir.path(), "ready", RealTools());
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().code(), Code::kInvalidArgument);
}

TEST(BuildDetect, WhatIsInTheFolderDecides) {
  TempDir dir;
  auto d = dir.path();
  auto missing = detect_sources(d / "nope", "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);

  std::filesystem::create_directories(d / "empty");
  write_file(d / "empty" / "README.md", "hi");
  auto empty = detect_sources(d / "empty", "empty");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code(), Code::kNotFound);
  EXPECT_NE(empty.error().message().find("no sources"), std::string::npos);

  write_file(d / "both" / "go.mod", kHelloGoMod);
  write_file(d / "both" / "main.c", kHelloC);
  auto both = detect_sources(d / "both", "both");
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().code(), Code::kInvalidArgument);

  // Sources win over a module already there (it is the previous build).
  write_file(d / "c" / "main.c", kHelloC);
  write_file(d / "c" / "c.wasm", "old");
  EXPECT_EQ(*detect_sources(d / "c", "c"), SourceKind::kC);
  // The Go SDK's own go.mod one level down does not make a folder Go.
  write_file(d / "go" / "go.mod", kHelloGoMod);
  write_file(d / "go" / "sdk" / "go.mod", "module naos.dev/sdk\n");
  EXPECT_EQ(*detect_sources(d / "go", "go"), SourceKind::kGo);

  auto bad = detect_sources(d / "c", "../c");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace naos::project
