#include "base/file.h"

#include <fstream>
#include <sstream>

namespace naos {

Result<std::string> read_file(const std::filesystem::path& file, std::string_view what) {
  std::ifstream in(file, std::ios::binary);
  std::error_code ec;
  if (!in || std::filesystem::is_directory(file, ec)) {
    return Error(Code::kNotFound, "cannot read the " + std::string(what), file.string());
  }
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace naos
