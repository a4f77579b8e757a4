#include "base/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/file.h"

namespace naos {

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    file_ = std::move(other.file_);
    other.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

Result<FileLock> FileLock::lock(const std::filesystem::path& file, bool wait, bool* busy) {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  // O_CLOEXEC: a child naos starts (a compiler, an editor) must not inherit
  // the lock and keep holding it after naos is gone.
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Error(Code::kUnavailable, std::string("cannot open the lock file: ") + std::strerror(errno), file.string());
  }
  while (::flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;  // a signal (Ctrl-C is handled elsewhere) interrupted the wait
    int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK && busy != nullptr) {
      *busy = true;
      return Error(Code::kUnavailable, "the lock is held by another process", file.string());
    }
    return Error(Code::kUnavailable, std::string("cannot lock: ") + std::strerror(error), file.string());
  }
  return FileLock(fd, file);
}

Result<FileLock> FileLock::acquire(const std::filesystem::path& file) { return lock(file, true, nullptr); }

Result<std::optional<FileLock>> FileLock::try_acquire(const std::filesystem::path& file) {
  bool busy = false;
  auto locked = lock(file, false, &busy);
  if (locked) return std::optional<FileLock>(std::move(*locked));
  if (busy) return std::optional<FileLock>();
  return locked.error();
}

Status FileLock::write_holder(const std::string& text) {
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()) ||
      ::fsync(fd_) != 0) {
    return Error(Code::kUnavailable, std::string("cannot write the lock file: ") + std::strerror(errno),
                 file_.string());
  }
  return ok();
}

std::string FileLock::read_holder(const std::filesystem::path& file) {
  auto text = read_file(file, "lock file");
  return text ? *text : std::string();
}

}  // namespace naos
