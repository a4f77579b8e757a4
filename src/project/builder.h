// Builder — turns an agent's sources into its module, agents/NAME/NAME.wasm
// (`naos build`), with the same toolchains and flags as the repository's own
// agents (cmake/WasmAgents.cmake):
//
//   C     every *.c in the folder:  clang --target=wasm32-wasi -O2 -Wall
//                                   -Wl,--strip-debug -I <sdk> *.c -o NAME.wasm
//   Go    a go.mod in the folder:   go build -o NAME.wasm .   with GOOS=wasip1
//                                   GOARCH=wasm GOTOOLCHAIN=local GOWORK=off
//                                   GOFLAGS="-trimpath -buildvcs=false"
//   wasm  no sources, NAME.wasm present: accepted as is (hashed, not rebuilt)
//
// C sources find nexus.h beside them (a template copies it there); a folder
// without its own copy gets the one built into naos. Go sources bring their SDK
// through go.mod (templates use `replace naos.dev/sdk => ./sdk`).
//
// Invariant: NAME.wasm only ever changes into a complete module that the
// compiler produced with exit status 0. The compiler writes a temporary file
// in the same folder, which is checked (wasm magic) and renamed over NAME.wasm;
// on any failure it is removed, and the previous NAME.wasm (if any) is left
// as it was.
//
// Ownership and threading: BuildTools is a plain value built by the caller
// (main() or a test) from an environment it passes in; nothing here reads the
// process environment or keeps state. Building different agents from several
// threads at once is safe; building the same agent twice at once is not
// (the temporary names are per process).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace naos::project {

struct BuildTools {
  std::filesystem::path clang;  // empty: not found
  std::filesystem::path go;     // empty: not found
  // The compilers' environment, "NAME=value" entries (Go needs HOME or
  // GOCACHE, and PATH). The Go variables above are added for Go builds.
  std::vector<std::string> environment;

  // Looks for clang (clang, clang-14 ... clang-19) and go on the PATH of
  // `environment`, and for go also in /usr/local/go/bin (Go's own installer).
  static BuildTools find(std::vector<std::string> environment);
};

// This process's environment, for BuildTools::find in main() and tests.
std::vector<std::string> process_environment();

enum class SourceKind { kC, kGo, kWasm };
std::string_view source_kind_name(SourceKind kind);  // "c", "go", "wasm"

struct BuildResult {
  std::string name;
  SourceKind kind = SourceKind::kC;
  std::filesystem::path module_file;  // agent_dir/NAME.wasm
  std::string module_hash;            // sha256_hex of the module's bytes
  uint64_t module_bytes = 0;
  bool compiled = false;              // false: a ready module accepted as is
  std::string compiler_output;        // warnings, from a successful compile
  std::chrono::milliseconds elapsed{0};
};

// What build_agent will do with the folder.
// Errors: kNotFound (no folder; no sources and no NAME.wasm), kInvalidArgument
// (both go.mod and *.c; a bad name).
Result<SourceKind> detect_sources(const std::filesystem::path& agent_dir, std::string_view name);

// Builds agent_dir/NAME.wasm from the sources in agent_dir.
// Errors: those of detect_sources; kFailedPrecondition when the compiler is
// missing or too old (naming what to install); kInvalidArgument when the
// compiler fails, with its output in the message; kInvalidArgument for a
// ready NAME.wasm that is not WebAssembly; kUnavailable when a tool cannot be
// started or a file cannot be written.
Result<BuildResult> build_agent(const std::filesystem::path& agent_dir, std::string_view name,
                                const BuildTools& tools);

}  // namespace naos::project
