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

}  // namespace naos
