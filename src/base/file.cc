#include "base/file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

Status write_file_atomically(const std::filesystem::path& file, std::string_view bytes,
                             std::filesystem::perms permissions, std::string_view what) {
  auto temporary = file;
  temporary += ".tmp." + std::to_string(::getpid());
  auto failure = [&](const std::string& reason) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    return Error(Code::kUnavailable, "cannot write the " + std::string(what) + ": " + reason, file.string());
  };
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return failure(std::strerror(errno));
  if (!write_all(fd, bytes)) {
    int saved = errno;
    ::close(fd);
    return failure(std::strerror(saved));
  }
  // Durable before it is visible: a crash after the rename never leaves an
  // empty file under the real name.
  if (::fsync(fd) != 0) {
    int saved = errno;
    ::close(fd);
    return failure(std::strerror(saved));
  }
  ::close(fd);
  std::error_code ec;
  std::filesystem::permissions(temporary, permissions, ec);
  if (!ec) std::filesystem::rename(temporary, file, ec);
  if (ec) return failure(ec.message());
  return ok();
}

}  // namespace naos
