// Witness — the audit log's signed heads, kept outside data/ in the
// project's evidence folder (governance/evidence.h), so that truncating or
// rewriting the log stays detectable after later writes re-sign its head.
//
// Why: the head signed inside the database is rewritten by every batch. A log
// whose tail was deleted, or whose events were edited and their hashes
// recomputed, gets a valid signed head from the next ordinary command. The
// witness remembers every head the log had: a (seq, hash) once witnessed
// must stay the hash of event seq for as long as the log lives, so
// `naos audit verify` compares each witnessed head with the log.
//
// Format: witness.log, text, one entry a line, appended:
//     head <seq> <hash> <signed_ms> <signature>
//     baseline <seq> <hash> <signed_ms> <signature> <prefix_digest>
// A head line is the head the audit log signed for a batch (the signature
// covers signed_message("head", seq, hash), the same as the database's
// audit_head). A baseline line is written by `naos audit accept`: the log
// through seq is accepted as it is (broken links and all), pinned by
// prefix_digest, a SHA-256 over every event through seq as stored
// (audit_prefix_digest, governance/audit_log.h); the signature covers
// signed_message("baseline", seq, hash + ":" + prefix_digest). Entries
// before the last baseline no longer count. Lines that do not parse (a torn write after a power
// failure) are skipped.
//
// Appending: O_APPEND under flock(LOCK_EX), after the batch's COMMIT, so the
// witness may lag the database after a crash but never leads it. Processes
// append concurrently, so lines are not in seq order.
//
// Compaction: past kCompactAbove bytes the file is rewritten keeping the
// last baseline, the first head of every kKeepEvery events, the newest head,
// and every head the log no longer agrees with (evidence of tampering is
// never compacted away). A head dropped agrees with the log, and any later
// rewrite of an event at or before it changes the hash of the newest head
// kept, so nothing detectable is lost. Compaction holds the lock, writes a
// new file and renames it over the old; an appender that locked the old file
// sees the inode change and reopens.
//
// Threading: a Witness is used by one thread (the audit log's writer);
// processes coordinate through the lock.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace naos::governance {

struct WitnessEntry {
  enum class Kind { kHead, kBaseline };
  Kind kind = Kind::kHead;
  int64_t seq = 0;
  std::string hash;
  int64_t signed_ms = 0;
  std::string signature;
  // A baseline's: audit_prefix_digest() through seq (governance/audit_log.h).
  std::string prefix_digest;
};

// What verification reads: the last baseline and the heads after it.
struct WitnessRecord {
  std::optional<WitnessEntry> baseline;
  std::vector<WitnessEntry> heads;
  // The head with the highest seq, if any.
  const WitnessEntry* newest() const;
};

class Witness {
 public:
  static constexpr uint64_t kCompactAbove = 1 << 20;
  static constexpr int64_t kKeepEvery = 1000;

  // Opens (creating, mode 0600) the witness file for appending.
  static Result<std::unique_ptr<Witness>> open(const std::filesystem::path& file);
  ~Witness();
  Witness(const Witness&) = delete;
  Witness& operator=(const Witness&) = delete;

  Status append(const WitnessEntry& entry);
  bool needs_compaction() const;
  // `hash_at(seq)`: the log's hash of event seq now, nothing when there is none.
  using HashAt = std::function<Result<std::optional<std::string>>(int64_t seq)>;
  Status compact(const HashAt& hash_at);

  // One entry appended to `file` (`naos audit accept`, a project's first bind).
  static Status append_to(const std::filesystem::path& file, const WitnessEntry& entry);
  // The entries that count. A missing file is an empty record.
  static Result<WitnessRecord> read(const std::filesystem::path& file);

  static std::string format(const WitnessEntry& entry);
  static std::optional<WitnessEntry> parse(std::string_view line);

 private:
  Witness(std::filesystem::path file, int fd) : file_(std::move(file)), fd_(fd) {}
  // Locks fd_ on the file now at file_, reopening after a compaction renamed it.
  Status lock_current();
  void unlock();

  std::filesystem::path file_;
  int fd_;
};

}  // namespace naos::governance
