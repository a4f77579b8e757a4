// Where the tests' naos processes keep their evidence, and environment
// lookups for Naos::open (defined in test_support.cc).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"

namespace naos {
class Clock;
class Naos;
}  // namespace naos

namespace naos::testing {

// The state directory (NAOS_STATE_DIR) where naos keeps the evidence of the
// tests' projects (governance/evidence.h), never the user's home: ctest sets
// it (tests/CMakeLists.txt), and the test binary run by hand sets it itself
// before main(), so every naos process the tests start inherits it.
std::filesystem::path state_dir();
// An environment lookup for Naos::open: `vars`, plus NAOS_STATE_DIR.
std::function<std::optional<std::string>(const std::string&)> env_lookup(
    std::map<std::string, std::string> vars = {});

// For the tests that drive Naos directly: writes `config` as
// <dir>/nexus.config.yaml, creates <dir>/data, and opens the project and a
// Naos on it, with env_lookup(`env`) as its environment.
Result<std::unique_ptr<Naos>> open_project(const std::filesystem::path& dir, const std::string& config, Clock& clock,
                                           std::map<std::string, std::string> env = {});

}  // namespace naos::testing
