// Checks of single values in nexus.config.yaml that are more than a parse:
// what an environment-variable grant may name, and how a value is shown in
// an error when it may hold bytes a terminal should not receive.
//
// Used by the config reader (config.cc), which adds the file:line:col and
// the key path; pure functions, any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace naos::project {

// What is wrong with `name` as an entry of `capabilities.env` (one host
// variable passed through to the agent), or nothing. Refused: empty names,
// wildcards (`*`, `LC_*`), assignments (`A=B`), and any byte but ASCII
// letters, digits and `_` (a NUL, a space, `-`), or a leading digit.
std::optional<std::string> env_name_problem(std::string_view name);

// What is wrong with `source` as an agent's module, or nothing. A module is
// project-relative and stays inside the project (no `..`), or is an
// absolute path naming a .wasm or .wat file (a module built outside the
// project). `/etc/passwd` and `../../../bin/ls` are refused.
std::optional<std::string> module_source_problem(std::string_view source);

// `text` with control characters, `"` and `\` escaped (\n, \t, \x00, ...),
// bytes >= 0x80 kept: safe to print inside double quotes in an error.
std::string printable(std::string_view text);

}  // namespace naos::project
