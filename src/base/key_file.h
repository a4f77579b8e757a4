// Host secrets kept in a file: random bytes, created on first use with mode
// 0600 (O_EXCL, so two processes racing to create the key agree on one), in a
// folder no agent can be granted (data/, project/grant_paths.h).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace naos {

// The `size` random bytes in `file`, creating it (and its folder) if it does
// not exist. Errors: kFailedPrecondition when the file holds another number
// of bytes; kUnavailable when it cannot be created or read. `what` names the
// key in messages ("module cache key").
Result<std::string> load_or_create_key(const std::filesystem::path& file, size_t size, std::string_view what);

}  // namespace naos
