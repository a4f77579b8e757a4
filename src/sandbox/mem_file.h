// MemFile — an anonymous in-memory file (memfd) that WASI can open by path
// (/proc/self/fd/N), used as an agent's stdout and stderr when naos's own
// fd_write cannot be used (see Sandbox::run). Owns the descriptor.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace naos::sandbox {

class MemFile {
 public:
  static Result<MemFile> create(const char* name);
  ~MemFile();
  MemFile(MemFile&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  MemFile& operator=(MemFile&&) = delete;
  MemFile(const MemFile&) = delete;

  // A path that opens this same file.
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }
  uint64_t size() const;
  // Up to `max` bytes starting at `offset`.
  std::string read(uint64_t offset, uint64_t max) const;

 private:
  explicit MemFile(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace naos::sandbox
