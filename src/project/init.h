// init — `naos init`: makes a folder a naos project.
//
//   DIR/nexus.config.yaml   commented, minimal, valid (project/config.h)
//   DIR/data/nexus.db       the SQLite database, WAL mode, migrated (store/database.h)
//   DIR/agents/             one folder per agent (project/templates.h, builder.h)
//   DIR/skills/             broker skill handlers
//
// A folder holding nexus.config.yaml is a project (project/project.h), so the
// config is created exclusively (O_EXCL), then loaded through Project::open,
// then the database is created where Project says; if either fails, the
// config is removed again and init can simply be run again.
//
// Threading: two inits of one folder at once: one creates the config, the
// other gets kAlreadyExists.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace naos::project {

// The config `naos init` writes for a project called `name`.
std::string initial_config(std::string_view name);

// Makes `dir` (created if needed; it may hold other files) a project called
// `name`, or after the folder when `name` is empty. Returns the project's
// absolute root.
// Errors: kAlreadyExists when dir already holds nexus.config.yaml (or is a
// file); kInvalidArgument for a name with control characters or over 100
// bytes; kUnavailable / kFailedPrecondition from the filesystem or database.
Result<std::filesystem::path> init_project(const std::filesystem::path& dir, std::string_view name);

}  // namespace naos::project
