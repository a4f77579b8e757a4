// FileLock — an exclusive advisory lock (flock(2)) on a lock file, held for
// as long as the object lives: the one way several naos processes on one
// project take turns at something SQLite does not guard (editing
// nexus.config.yaml, being the project's one daemon).
//
// The kernel releases a flock when its last descriptor closes, so a holder
// killed with SIGKILL never leaves a stale lock behind. The lock file itself
// is never deleted (deleting it would let a second process lock a new inode
// while the first still holds the old one); it is a few bytes at most, the
// holder's pid when the holder writes it (write_holder).
//
// Locks are per open file: two FileLocks on one file in one process exclude
// each other too, so a holder must not take the same lock again.
//
// Ownership: move-only; the descriptor is closed (and the lock released) by
// the destructor. Threading: one thread at a time per object.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "base/result.h"

namespace naos {

class FileLock {
 public:
  // Waits until the lock on `file` (created 0644 if missing, with its
  // folder) is this process's. Errors: kUnavailable (cannot open or lock).
  static Result<FileLock> acquire(const std::filesystem::path& file);
  // The lock, or nullopt at once when another open file holds it.
  static Result<std::optional<FileLock>> try_acquire(const std::filesystem::path& file);

  FileLock(FileLock&& other) noexcept : fd_(other.fd_), file_(std::move(other.file_)) { other.fd_ = -1; }
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

  // Replaces the lock file's content with `text` (the holder's pid, so a
  // refused process can name who holds it), synced.
  Status write_holder(const std::string& text);
  // The lock file's current content (what its holder wrote), or "".
  static std::string read_holder(const std::filesystem::path& file);

  const std::filesystem::path& file() const { return file_; }

 private:
  FileLock(int fd, std::filesystem::path file) : fd_(fd), file_(std::move(file)) {}
  static Result<FileLock> lock(const std::filesystem::path& file, bool wait, bool* busy);

  int fd_ = -1;
  std::filesystem::path file_;
};

}  // namespace naos
