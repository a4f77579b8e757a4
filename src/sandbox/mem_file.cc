#include "sandbox/mem_file.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace naos::sandbox {

Result<MemFile> MemFile::create(const char* name) {
  int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return Error(Code::kUnavailable, std::string("memfd_create failed: ") + std::strerror(errno));
  return MemFile(fd);
}

MemFile::~MemFile() {
  if (fd_ >= 0) close(fd_);
}

uint64_t MemFile::size() const {
  struct stat info;
  return fstat(fd_, &info) == 0 ? static_cast<uint64_t>(info.st_size) : 0;
}

std::string MemFile::read(uint64_t offset, uint64_t max) const {
  std::string out;
  uint64_t end = std::min(size(), offset + max);
  if (end <= offset) return out;
  out.resize(end - offset);
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

}  // namespace naos::sandbox
