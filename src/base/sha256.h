// SHA-256 of bytes, as lowercase hex. Used for module hashes (cache keys,
// agent signatures) and, later, the audit chain.
#pragma once

#include <string>
#include <string_view>

namespace naos {

std::string sha256_hex(std::string_view bytes);

}  // namespace naos
