// Whole-file reads, the one way naos loads a module, a config or an input.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace naos {

// The file's bytes. Errors: kNotFound "cannot read the <what>", with the path
// as context (a missing file, a folder, no permission).
Result<std::string> read_file(const std::filesystem::path& file, std::string_view what);

// Writes all of `bytes` to `fd`, again after a short write or EINTR. False
// on an error, with errno saying which.
bool write_all(int fd, std::string_view bytes);

// Writes `bytes` to a temporary file beside `file`, fsyncs it, gives it
// `permissions` and renames it over `file`: a reader (or a crash) sees the
// old file or the new one, never half of either. kUnavailable on failure.
Status write_file_atomically(const std::filesystem::path& file, std::string_view bytes,
                             std::filesystem::perms permissions, std::string_view what);

}  // namespace naos
