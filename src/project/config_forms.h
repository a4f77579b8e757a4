// The documented forms of nexus.config.yaml keys, read into ours.
//
// Users arrive with files written for the Nexus OS docs, which show five
// variants of the file (reference/nexus-docs.md section 4): the README's
// (`edge:`, `trust.requirements`, `broker.routing`, `agents.X.cost`), the
// Manual's (`project:`, `broker.preferences`), the appendix's snake_case keys,
// and keys documented on single pages. rewrite_documented_forms() runs on the
// parsed tree before the strict reader (config.cc) and leaves only canonical
// keys behind, so every later check, error and default is the canonical one:
//   - a form of a key we have is moved to it (`trust.requirements.minTrustTier`
//     -> `trust.minimumTier`; `agents.X.cost.budget: "$10/day"` ->
//     `cost.budgets.X {limit, period}`), keeping the value node and so its
//     line and column for later errors;
//   - a setting with a meaning naos has but no canonical key for is returned
//     in DocumentedExtras (`trust.requirements.minTScore`, `agents.X.axis`);
//   - a setting naos has no use for is checked for its shape and dropped,
//     with its meaning in docs/config.md "Documented forms" (`database:`,
//     `logging.level`, `agents.X.autoStart`);
//   - a section for a feature out of scope (`edge:`, `marketplace:`) is
//     dropped with a one-line warning;
//   - a form that would silently change what an agent may do is refused with
//     what to write instead (`capabilities.fileRead: true` names no folder).
// Giving a key twice, once canonically and once in a documented form, is an
// error at the second one.
//
// Ownership and threading: pure functions of their input; any thread.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "project/config.h"

namespace naos::project {

// What the documented forms set that has no canonical key.
struct DocumentedExtras {
  std::map<std::string, std::string> auids;  // agent -> agents.X.axis.auid
  std::optional<uint32_t> min_t_score;       // trust.requirements.minTScore
  std::vector<ConfigWarning> warnings;
};

// Rewrites `root` in place. Errors: kInvalidArgument with "label:line:col"
// context and a "key.path: message" message, as every config error.
Result<DocumentedExtras> rewrite_documented_forms(YAML::Node& root, const std::string& label);

// The keys and enum values the documented forms add, per path (as in
// SchemaKeyTable), merged into schema_key_tables() and schema_enum_tables().
std::span<const SchemaKeyTable> documented_key_tables();
std::span<const SchemaEnumTable> documented_enum_tables();

}  // namespace naos::project
