// libFuzzer target: the audit-log verifier (governance/audit_log.h,
// verify_audit) on corrupted databases. A real database with a signed chain
// of events is made once; each input is a list of patches (4-byte offset, 1
// byte value) applied to a copy of its file, which is then opened and
// verified. Any result is fine (intact, broken, an error, a database SQLite
// refuses); a crash, an exception or a sanitizer report is a finding.
//
// A patch list of zero length must verify intact: a check of the harness.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "base/clock.h"
#include "governance/audit_key.h"
#include "governance/audit_log.h"
#include "store/database.h"

namespace {

namespace fs = std::filesystem;
using naos::governance::AuditKey;

class FixedClock final : public naos::Clock {
 public:
  int64_t now_ms() override { return now_ += 1; }

 private:
  int64_t now_ = 1'700'000'000'000;
};

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "audit_verify_fuzz: %s\n", why.c_str());
  std::abort();
}

struct Pristine {
  fs::path dir;
  std::string image;  // the database file, checkpointed
  AuditKey key;
};

// A database of 40 events of every shape the writer makes, on tmpfs when
// there is one (each input writes a file).
Pristine make_pristine() {
  fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
  fs::path dir = base / ("naos-audit-fuzz-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  FixedClock clock;
  {
    auto log = naos::governance::AuditLog::open(dir / "nexus.db", dir / "audit.key", clock);
    if (!log) fail(log.error().to_string());
    for (int i = 0; i < 40; ++i) {
      nlohmann::json payload = {{"i", i}, {"detail", std::string(i % 7, 'x') + "caf\u00e9 \"q\""}};
      auto seq = (*log)->append({"fuzz", "agent-" + std::to_string(i % 3),
                                 i % 2 ? "agent.started" : "cost.recorded", payload});
      if (!seq) fail(seq.error().to_string());
    }
  }
  auto key = AuditKey::load(dir / "audit.key");
  if (!key) fail(key.error().to_string());
  std::string image = read_all(dir / "nexus.db");
  if (image.empty() || (fs::exists(dir / "nexus.db-wal") && fs::file_size(dir / "nexus.db-wal") > 0)) {
    fail("the pristine database was not checkpointed");
  }
  return Pristine{dir, std::move(image), std::move(*key)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Pristine pristine = make_pristine();
  std::string image = pristine.image;
  for (size_t at = 0; at + 5 <= size; at += 5) {
    uint32_t offset = uint32_t(data[at]) | uint32_t(data[at + 1]) << 8 | uint32_t(data[at + 2]) << 16 |
                      uint32_t(data[at + 3]) << 24;
    image[offset % image.size()] = static_cast<char>(data[at + 4]);
  }
  fs::path file = pristine.dir / "case.db";
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix);
  {
    std::ofstream out(file, std::ios::binary);
    out.write(image.data(), static_cast<std::streamsize>(image.size()));
  }
  auto db = naos::store::Database::open(file);
  if (!db) return 0;
  auto report = naos::governance::verify_audit(**db, pristine.key);
  if (size < 5) {
    if (!report || !report->intact || report->events != 40) fail("the unpatched database does not verify intact");
  }
  return 0;
}
