// YAML bounds — what a nexus.config.yaml may make naos do before it is read.
//
// yaml-cpp builds an alias as a second reference to the anchored node, so
// parsing is linear; the cost is in walking the result: nine levels of ten
// aliases each (`l1: [*l0, *l0, ...]`) are 643 bytes and 10^9 nodes to a
// validator that visits every node. check_yaml_bounds() runs first, over
// yaml-cpp's event stream, and refuses:
//   - a file larger than kMaxConfigBytes;
//   - a second YAML document (yaml-cpp's Load would silently ignore it);
//   - nesting deeper than kMaxYamlDepth levels, counted through aliases;
//   - aliases that together stand for more than kMaxAliasNodes nodes
//     (each alias counts the expanded size of what it names), and an alias
//     that names a node containing it (a cycle).
// It is linear in the size of the file: each event costs O(1) (an alias's
// expanded size and depth are recorded when its anchor's node ends), and it
// never expands anything. Whatever passes has at most
// kMaxConfigBytes / 2 + kMaxAliasNodes nodes once expanded.
//
// Errors are kInvalidArgument with "label:line:col" context and a message
// that starts with the key path of the offending node, as config errors do
// (docs/config.md "Limits").
//
// Ownership and threading: a pure function of its input; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace naos::project {

inline constexpr uint64_t kMaxConfigBytes = 1 << 20;  // 1 MiB
inline constexpr int kMaxYamlDepth = 64;
inline constexpr uint64_t kMaxAliasNodes = 100'000;

struct YamlBounds {
  uint64_t max_bytes = kMaxConfigBytes;
  int max_depth = kMaxYamlDepth;
  uint64_t max_alias_nodes = kMaxAliasNodes;
};

// `label` names the source in errors (a file name).
Status check_yaml_bounds(std::string_view text, const std::string& label, const YamlBounds& bounds = {});
// The size check alone, for a file not yet read.
Status check_yaml_size(uint64_t bytes, const std::string& label, const YamlBounds& bounds = {});

}  // namespace naos::project
