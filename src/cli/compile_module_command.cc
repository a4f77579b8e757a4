// `naos __compile-module MAX_STACK MAX_INSTANCES MAX_MEMORY COMPILE_MEMORY
// CPU_SECONDS PARENT_PID` — hidden: the bounded compile child that naos
// itself starts for each new module (sandbox/module_compiler.h). Module on
// stdin, artifact on stdout. Dispatched before the command-line parser is
// built, so the child costs one exec and no more.

#include <charconv>
#include <cstdint>
#include <cstring>
#include <iostream>

#include "cli/cli.h"
#include "sandbox/compile_limits.h"

namespace naos::cli {
namespace {

bool parse_number(const char* text, uint64_t& out) {
  auto end = text + std::strlen(text);
  auto [at, ec] = std::from_chars(text, end, out);
  return ec == std::errc() && at == end && at != text;
}

}  // namespace

int compile_module_command(int argc, char** argv) {
  uint64_t values[6];
  if (argc != 8) {
    std::cerr << "error: " << sandbox::kCompileModuleCommand << " is naos's own compile child, not a command\n";
    return 2;
  }
  for (int i = 0; i < 6; ++i) {
    if (!parse_number(argv[i + 2], values[i])) {
      std::cerr << "error: " << sandbox::kCompileModuleCommand << ": bad argument " << argv[i + 2] << "\n";
      return 2;
    }
  }
  sandbox::EngineOptions options;
  options.max_stack_bytes = values[0];
  options.max_instances = static_cast<uint32_t>(values[1]);
  options.max_memory_bytes = values[2];
  return sandbox::compile_module_child(options, values[3], values[4], static_cast<int64_t>(values[5]));
}

}  // namespace naos::cli
