#include "base/key_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace naos {
namespace {

Result<std::string> read_key(const std::filesystem::path& file, size_t size, std::string_view what) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error(Code::kNotFound, "no " + std::string(what), file.string());
  std::stringstream bytes;
  bytes << in.rdbuf();
  if (bytes.str().size() != size) {
    return Error(Code::kFailedPrecondition, "the " + std::string(what) + " file is malformed", file.string());
  }
  return bytes.str();
}

}  // namespace

Result<std::string> load_or_create_key(const std::filesystem::path& file, size_t size, std::string_view what) {
  if (sodium_init() < 0) return Error(Code::kInternal, "libsodium failed to initialize");
  auto existing = read_key(file, size, what);
  if (existing || existing.error().code() != Code::kNotFound) return existing;

  std::string key(size, '\0');
  randombytes_buf(key.data(), key.size());
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  // Written whole under a private name, then linked into place: a process
  // racing to create the key never reads a half-written one, and link()
  // refuses to replace a key that another process put there first.
  auto temporary = file;
  temporary += ".new" + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Error(Code::kUnavailable, "cannot create the " + std::string(what), file.string());
  bool written = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  bool linked = written && ::link(temporary.c_str(), file.c_str()) == 0;
  int link_errno = errno;
  ::unlink(temporary.c_str());
  if (linked) return key;
  if (written && link_errno == EEXIST) return read_key(file, size, what);
  return Error(Code::kUnavailable, "cannot write the " + std::string(what), file.string());
}

}  // namespace naos
