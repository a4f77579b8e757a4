#include "governance/witness.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

#include "base/file.h"

namespace naos::governance {
namespace {

Error unavailable(const std::string& what, const std::filesystem::path& path) {
  return Error(Code::kUnavailable, what + ": " + std::strerror(errno), path.string());
}

int open_for_append(const std::filesystem::path& file) {
  // Read too: append() looks at the last byte.
  return ::open(file.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

bool parse_int(std::string_view text, int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool is_hex(std::string_view text, size_t size) {
  return text.size() == size &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

const WitnessEntry* WitnessRecord::newest() const {
  const WitnessEntry* newest = nullptr;
  for (const auto& head : heads) {
    if (newest == nullptr || head.seq > newest->seq) newest = &head;
  }
  return newest;
}

std::string Witness::format(const WitnessEntry& entry) {
  bool head = entry.kind == WitnessEntry::Kind::kHead;
  return std::string(head ? "head" : "baseline") + " " + std::to_string(entry.seq) + " " + entry.hash + " " +
         std::to_string(entry.signed_ms) + " " + entry.signature + (head ? "" : " " + entry.prefix_digest) + "\n";
}

std::optional<WitnessEntry> Witness::parse(std::string_view line) {
  std::vector<std::string_view> fields;
  while (!line.empty()) {
    size_t space = line.find(' ');
    fields.push_back(line.substr(0, space));
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  WitnessEntry entry;
  if (fields.size() == 5 && fields[0] == "head") {
    entry.kind = WitnessEntry::Kind::kHead;
  } else if (fields.size() == 6 && fields[0] == "baseline" && is_hex(fields[5], 64)) {
    entry.kind = WitnessEntry::Kind::kBaseline;
    entry.prefix_digest = fields[5];
  } else {
    return std::nullopt;
  }
  if (!parse_int(fields[1], entry.seq) || entry.seq < 0 || !is_hex(fields[2], 64) ||
      !parse_int(fields[3], entry.signed_ms) || !is_hex(fields[4], 128)) {
    return std::nullopt;
  }
  entry.hash = fields[2];
  entry.signature = fields[4];
  return entry;
}

Result<std::unique_ptr<Witness>> Witness::open(const std::filesystem::path& file) {
  int fd = open_for_append(file);
  if (fd < 0) return unavailable("cannot open the witness", file);
  return std::unique_ptr<Witness>(new Witness(file, fd));
}

Witness::~Witness() {
  if (fd_ >= 0) ::close(fd_);
}

Status Witness::lock_current() {
  while (true) {
    if (fd_ < 0) {
      fd_ = open_for_append(file_);
      if (fd_ < 0) return unavailable("cannot open the witness", file_);
    }
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) return unavailable("cannot lock the witness", file_);
    }
    struct stat locked {}, current {};
    if (::fstat(fd_, &locked) == 0 && ::stat(file_.c_str(), &current) == 0 && locked.st_ino == current.st_ino &&
        locked.st_dev == current.st_dev) {
      return ok();
    }
    // Compacted (renamed over) or removed since it was opened: the file at
    // the path is the one to write.
    ::close(fd_);
    fd_ = -1;
  }
}

void Witness::unlock() { ::flock(fd_, LOCK_UN); }

Status Witness::append(const WitnessEntry& entry) {
  NAOS_TRY(lock_current());
  std::string line = format(entry);
  // A torn last line (a crash mid-write) must not swallow this one.
  struct stat info {};
  char last = '\n';
  if (::fstat(fd_, &info) == 0 && info.st_size > 0 && ::pread(fd_, &last, 1, info.st_size - 1) == 1 &&
      last != '\n') {
    line.insert(line.begin(), '\n');
  }
  bool written = write_all(fd_, line);
  unlock();
  if (!written) return unavailable("cannot write the witness", file_);
  return ok();
}

bool Witness::needs_compaction() const {
  struct stat info {};
  return fd_ >= 0 && ::fstat(fd_, &info) == 0 && static_cast<uint64_t>(info.st_size) > kCompactAbove;
}

Status Witness::compact(const HashAt& hash_at) {
  NAOS_TRY(lock_current());
  Status done = [&]() -> Status {
    if (!needs_compaction()) return ok();  // another process compacted it first
    NAOS_ASSIGN_OR_RETURN(std::string text, read_file(file_, "witness"));
    std::vector<WitnessEntry> entries;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      auto entry = parse(line);
      if (!entry) continue;
      if (entry->kind == WitnessEntry::Kind::kBaseline) entries.clear();  // nothing before it counts
      entries.push_back(std::move(*entry));
    }
    std::vector<WitnessEntry> kept;
    std::map<int64_t, size_t> first_of_thousand;  // seq / kKeepEvery -> index into entries
    int64_t newest = -1;
    for (size_t i = 0; i < entries.size(); ++i) {
      const auto& entry = entries[i];
      if (entry.kind == WitnessEntry::Kind::kBaseline) {
        kept.push_back(entry);
        continue;
      }
      newest = std::max(newest, entry.seq);
      auto [slot, inserted] = first_of_thousand.emplace(entry.seq / kKeepEvery, i);
      if (!inserted && entries[slot->second].seq > entry.seq) slot->second = i;
    }
    std::set<std::pair<int64_t, std::string>> already;  // one copy of each head is enough
    for (size_t i = 0; i < entries.size(); ++i) {
      const auto& entry = entries[i];
      if (entry.kind == WitnessEntry::Kind::kBaseline) continue;
      bool keep = entry.seq == newest || first_of_thousand[entry.seq / kKeepEvery] == i;
      if (!keep) {
        NAOS_ASSIGN_OR_RETURN(std::optional<std::string> now, hash_at(entry.seq));
        keep = now != entry.hash;  // the log disagrees: evidence, kept
      }
      if (keep && already.emplace(entry.seq, entry.hash).second) kept.push_back(entry);
    }
    std::filesystem::path temporary = file_;
    temporary += ".compact";
    int out = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) return unavailable("cannot compact the witness", temporary);
    std::string compacted;
    for (const auto& entry : kept) compacted += format(entry);
    bool written = write_all(out, compacted) && ::fsync(out) == 0;
    ::close(out);
    if (!written || ::rename(temporary.c_str(), file_.c_str()) != 0) {
      return unavailable("cannot compact the witness", file_);
    }
    return ok();
  }();
  // Closing releases the lock; our descriptor may be on the file just
  // replaced, and the next append opens the one at the path.
  ::close(fd_);
  fd_ = -1;
  return done;
}

Status Witness::append_to(const std::filesystem::path& file, const WitnessEntry& entry) {
  NAOS_ASSIGN_OR_RETURN(auto witness, open(file));
  return witness->append(entry);
}

Result<WitnessRecord> Witness::read(const std::filesystem::path& file) {
  WitnessRecord record;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return record;
  NAOS_ASSIGN_OR_RETURN(std::string text, read_file(file, "witness"));
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    auto entry = parse(line);
    if (!entry) continue;
    if (entry->kind == WitnessEntry::Kind::kBaseline) {
      record.baseline = std::move(*entry);
      record.heads.clear();
    } else {
      record.heads.push_back(std::move(*entry));
    }
  }
  return record;
}

}  // namespace naos::governance
