// GrantPaths — which folders of a project an agent may be granted
// (`capabilities.filesystem.read/write`), and where a grant really points.
//
// Rule (docs/config.md "filesystem"): a granted folder is an existing folder
// strictly inside the project that is neither data/ nor inside it nor a
// parent of it. data/ is the host's: the database, the audit and secret keys,
// the compiled modules naos loads as native code. A grant that reached it
// would let an agent read the keys or replace another agent's code, so the
// rule holds however the folder is spelled:
//   - as written (grant_spelling_problem): relative, no `..`, not the project
//     root (`.`, `./`), and not `data` in any letter case (on a
//     case-insensitive filesystem `Data` *is* data/);
//   - on disk (resolve_grant): after symlinks and `..`, the folder is compared
//     with the project root and data/ by path and by identity (device and
//     inode), so a symlink, a bind mount or a case-folding filesystem does not
//     get around the spelling check.
// Both run when the config is loaded (project/config.h) and again when a run
// starts (core/naos.cc), which preopens the resolved path, not the spelling:
// a symlink swapped after validation is caught there.
//
// Threading: plain functions; they read the filesystem and hold nothing.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace naos::project {

// The project folder the host keeps for itself (project/project.h).
inline constexpr std::string_view kHostDataFolder = "data";

// Why `folder`, as written in the config, can never be granted; empty when
// its spelling is fine.
std::string grant_spelling_problem(std::string_view folder);

// The canonical host path of the granted `folder` of the project at `root`.
// Errors: kInvalidArgument (its spelling), kNotFound (no such folder, or not
// a folder), kPermissionDenied (it resolves to the project root, to data/ or
// a parent of it or a folder inside it, or outside the project). Messages
// name the problem, not the folder: the caller says which grant it was.
Result<std::filesystem::path> resolve_grant(const std::filesystem::path& root, std::string_view folder);

}  // namespace naos::project
