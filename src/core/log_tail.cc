#include "core/log_tail.h"

#include <fstream>

#include "base/printable.h"

namespace naos {

std::vector<std::string> log_tail(const std::filesystem::path& file, size_t tail, uint64_t* read_to) {
  std::ifstream in(file, std::ios::binary);
  std::vector<std::string> lines;
  uint64_t bytes = 0;
  for (std::string line; in && std::getline(in, line);) {
    bytes += line.size() + (in.eof() ? 0 : 1);  // the newline, unless the file ended first
    lines.push_back(line);
  }
  if (read_to != nullptr) *read_to = bytes;
  size_t start = tail > 0 && tail < lines.size() ? lines.size() - tail : 0;
  std::vector<std::string> shown;
  shown.reserve(lines.size() - start);
  for (size_t i = start; i < lines.size(); ++i) shown.push_back(printable(lines[i]));
  return shown;
}

}  // namespace naos
