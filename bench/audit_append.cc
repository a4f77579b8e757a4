// bench_audit_append — durable audit append throughput (events per second) and
// the latency of one acknowledged event, through naos's AuditLog, beside raw
// SQLite inserts in the same process, on the same disk, with the same SQLite
// settings (every database is opened with store::Database::open: WAL,
// synchronous=FULL, the naos schema).
//
// Target (from the issue): at least 100,000 durable events per second on the
// machine it runs on, for the better of the two naos variants. The program
// prints PASS or FAIL but exits 0 either way: it is a measurement. It exits
// non-zero only when something cannot be set up, an append fails, or the audit
// chain written by naos does not verify (a benchmark that corrupts data must
// not report a number).
//
// Variants, each on a fresh temporary directory (deleted afterwards):
//   naos sync   N producer threads, each calling AuditLog::append() (returns
//               once the event's transaction is durable).
//   naos async  one producer calling AuditLog::append_async(), keeping up to K
//               futures in flight; the oldest is collected when K are out.
//   raw 1/txn   one thread: BEGIN IMMEDIATE, INSERT, COMMIT per event.
//   raw batch   one thread: BEGIN IMMEDIATE, B INSERTs, COMMIT.
// The raw peers insert into the same audit_events table (same columns, same
// indexes) with the same kind of payload, but compute no hash chain and sign
// nothing: they are what durable storage costs without naos's tamper evidence.
//
// Latency is per event: from the append call (or, for raw, the start of the
// event's INSERT) until the caller sees the event acknowledged (append()
// returns; the future's get() returns; COMMIT returns).
//
// Usage: bench_audit_append [--events N] [--threads N] [--inflight K]
//                           [--raw-events N] [--batch-events N] [--batch B]
//                           [--warmup N] [--dir PATH] [--only NAME] [--witness] [--json]
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "governance/audit_key.h"
#include "governance/audit_log.h"
#include "governance/witness.h"
#include "store/database.h"

namespace {

namespace fs = std::filesystem;
namespace gov = naos::governance;
using Steady = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "bench_audit_append: %s\n", message.c_str());
  std::exit(1);
}

double ns_between(Steady::time_point a, Steady::time_point b) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
}

// A fresh directory under `parent`, removed on destruction (kept if `keep()`).
class TempDir {
 public:
  explicit TempDir(const fs::path& parent) {
    std::string pattern = (parent / "naos-bench-audit-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) die("cannot create a temporary directory under " + parent.string());
    path_ = pattern;
  }
  ~TempDir() {
    if (keep_) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  void keep() { keep_ = true; }

 private:
  fs::path path_;
  bool keep_ = false;
};

// ---------------------------------------------------------------------------
// Events: what an agent's cost accounting would record, ~150 bytes of payload.

const char* const kAgents[] = {"researcher", "summarizer", "planner", "web-fetcher"};

nlohmann::json make_payload(int64_t i, int producer) {
  return {{"agent", kAgents[i % 4]},
          {"detail", "cost.recorded $0.05 model=claude-sonnet tokens_in=1834 tokens_out=412"},
          {"run", i},
          {"producer", producer},
          {"usd_micros", 50000 + i % 997}};
}

gov::AuditEventDraft make_draft(int64_t i, int producer) {
  return {"supervisor:root", kAgents[i % 4], "cost.recorded", make_payload(i, producer)};
}

// ---------------------------------------------------------------------------

struct Stats {
  double mean_us = 0, p50_us = 0, p99_us = 0, max_us = 0;
};

Stats summarize(std::vector<double> samples_ns) {
  Stats s;
  if (samples_ns.empty()) return s;
  std::sort(samples_ns.begin(), samples_ns.end());
  double sum = 0;
  for (double v : samples_ns) sum += v;
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(samples_ns.size()))) - 1;
    return samples_ns[std::min(i, samples_ns.size() - 1)];
  };
  s.mean_us = sum / static_cast<double>(samples_ns.size()) / 1000.0;
  s.p50_us = at(0.50) / 1000.0;
  s.p99_us = at(0.99) / 1000.0;
  s.max_us = samples_ns.back() / 1000.0;
  return s;
}

struct Measurement {
  std::string name;
  std::string description;
  int64_t events = 0;
  double seconds = 0;
  double events_per_s = 0;
  Stats latency;
};

Measurement finish(std::string name, std::string description, int64_t events, double seconds,
                   std::vector<double> latencies_ns) {
  Measurement m{std::move(name), std::move(description), events, seconds, 0, summarize(std::move(latencies_ns))};
  m.events_per_s = seconds > 0 ? static_cast<double>(events) / seconds : 0;
  return m;
}

// ---------------------------------------------------------------------------
// naos AuditLog

struct NaosFiles {
  fs::path db, key;
  fs::path witness;  // empty: no witness (--witness: each signed head appended there, as Naos::open does)
};

NaosFiles naos_files(const TempDir& dir, bool witness) {
  return {dir.path() / "nexus.db", dir.path() / "audit.key", witness ? dir.path() / "witness.log" : fs::path()};
}

std::unique_ptr<gov::AuditLog> open_log(const NaosFiles& files, naos::Clock& clock) {
  if (files.witness.empty()) {
    auto log = gov::AuditLog::open(files.db, files.key, clock);
    if (!log) die("AuditLog::open: " + log.error().to_string());
    return std::move(*log);
  }
  auto writer = naos::store::GroupCommit::open(files.db);
  if (!writer) die("GroupCommit::open: " + writer.error().to_string());
  auto key = gov::AuditKey::load_or_create(files.key);
  if (!key) die("AuditKey: " + key.error().to_string());
  auto witness = gov::Witness::open(files.witness);
  if (!witness) die("Witness::open: " + witness.error().to_string());
  auto log = gov::AuditLog::open(std::move(*writer), std::move(*key), clock, std::move(*witness));
  if (!log) die("AuditLog::open: " + log.error().to_string());
  return std::move(*log);
}

// Every event acknowledged exactly once, with seqs 1..total.
void check_seqs(std::vector<int64_t>& seqs, int64_t total, const std::string& what) {
  if (static_cast<int64_t>(seqs.size()) != total) die(what + ": acknowledged " + std::to_string(seqs.size()) +
                                                      " events, expected " + std::to_string(total));
  std::sort(seqs.begin(), seqs.end());
  for (int64_t i = 0; i < total; ++i) {
    if (seqs[static_cast<size_t>(i)] != i + 1) die(what + ": acknowledged seqs are not 1.." + std::to_string(total));
  }
}

// After the log is closed: the chain must verify and hold exactly `total` events.
void verify_chain(const NaosFiles& files, int64_t total, TempDir& dir, const std::string& what) {
  auto database = naos::store::Database::open(files.db);
  if (!database) die(what + ": reopen for verification: " + database.error().to_string());
  auto key = gov::AuditKey::load(files.key);
  if (!key) die(what + ": AuditKey::load: " + key.error().to_string());
  std::optional<gov::WitnessRecord> witness;
  if (!files.witness.empty()) {
    auto read = gov::Witness::read(files.witness);
    if (!read) die(what + ": Witness::read: " + read.error().to_string());
    witness = std::move(*read);
  }
  auto report = gov::verify_audit(**database, *key, witness ? &*witness : nullptr);
  if (!report) die(what + ": verify_audit: " + report.error().to_string());
  if (!report->intact || report->events != total) {
    dir.keep();
    die(what + ": the audit chain is NOT intact after the run (events " + std::to_string(report->events) +
        ", expected " + std::to_string(total) + "; first bad #" +
        std::to_string(report->first_bad_seq.value_or(0)) + ": " + report->problem +
        "); database kept at " + files.db.string() + " — no numbers reported");
  }
}

// Untimed: creates the file's pages and warms the allocator (queued at once, so
// it costs a few commits, not one per event).
void warm_up(gov::AuditLog& log, int warmup, std::vector<int64_t>& seqs) {
  std::vector<std::future<naos::Result<int64_t>>> futures;
  futures.reserve(static_cast<size_t>(warmup));
  for (int i = 0; i < warmup; ++i) futures.push_back(log.append_async(make_draft(i, 0)));
  for (auto& future : futures) {
    auto seq = future.get();
    if (!seq) die("warmup append: " + seq.error().to_string());
    seqs.push_back(*seq);
  }
}

Measurement run_naos_sync(const fs::path& parent, int64_t events, int threads, int warmup, bool witness) {
  TempDir dir(parent);
  NaosFiles files = naos_files(dir, witness);
  naos::SystemClock clock;
  std::vector<std::vector<double>> latencies(static_cast<size_t>(threads));
  std::vector<std::vector<int64_t>> seqs(static_cast<size_t>(threads) + 1);
  double seconds = 0;
  {
    auto log = open_log(files, clock);
    warm_up(*log, warmup, seqs.back());
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> producers;
    for (int t = 0; t < threads; ++t) {
      int64_t mine = events / threads + (t < events % threads ? 1 : 0);
      producers.emplace_back([&, t, mine] {
        auto& lat = latencies[static_cast<size_t>(t)];
        auto& acked = seqs[static_cast<size_t>(t)];
        lat.reserve(static_cast<size_t>(mine));
        acked.reserve(static_cast<size_t>(mine));
        ready.fetch_add(1);
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        for (int64_t i = 0; i < mine; ++i) {
          gov::AuditEventDraft draft = make_draft(i, t);
          auto t0 = Steady::now();
          auto seq = log->append(std::move(draft));
          auto t1 = Steady::now();
          if (!seq) die("append: " + seq.error().to_string());
          lat.push_back(ns_between(t0, t1));
          acked.push_back(*seq);
        }
      });
    }
    while (ready.load() < threads) std::this_thread::yield();
    auto start = Steady::now();
    go.store(true, std::memory_order_release);
    for (auto& p : producers) p.join();
    seconds = ns_between(start, Steady::now()) / 1e9;
  }  // closes the log (nothing left queued: every append was acknowledged)

  std::vector<int64_t> all;
  for (auto& s : seqs) all.insert(all.end(), s.begin(), s.end());
  check_seqs(all, events + warmup, "naos sync");
  verify_chain(files, events + warmup, dir, "naos sync");
  std::vector<double> merged;
  merged.reserve(static_cast<size_t>(events));
  for (auto& l : latencies) merged.insert(merged.end(), l.begin(), l.end());
  return finish("naos sync", std::to_string(threads) + " threads x append()", events, seconds, std::move(merged));
}

Measurement run_naos_async(const fs::path& parent, int64_t events, int inflight, int warmup, bool witness) {
  TempDir dir(parent);
  NaosFiles files = naos_files(dir, witness);
  naos::SystemClock clock;
  std::vector<double> latencies;
  latencies.reserve(static_cast<size_t>(events));
  std::vector<int64_t> seqs;
  seqs.reserve(static_cast<size_t>(events + warmup));
  double seconds = 0;
  {
    auto log = open_log(files, clock);
    warm_up(*log, warmup, seqs);
    struct InFlight {
      std::future<naos::Result<int64_t>> future;
      Steady::time_point t0;
    };
    std::deque<InFlight> pending;
    auto collect_oldest = [&] {
      auto seq = pending.front().future.get();
      auto t1 = Steady::now();
      if (!seq) die("append_async: " + seq.error().to_string());
      latencies.push_back(ns_between(pending.front().t0, t1));
      seqs.push_back(*seq);
      pending.pop_front();
    };
    auto start = Steady::now();
    for (int64_t i = 0; i < events; ++i) {
      if (static_cast<int>(pending.size()) >= inflight) collect_oldest();
      gov::AuditEventDraft draft = make_draft(i, 0);
      auto t0 = Steady::now();
      pending.push_back({log->append_async(std::move(draft)), t0});
    }
    while (!pending.empty()) collect_oldest();
    seconds = ns_between(start, Steady::now()) / 1e9;
  }
  check_seqs(seqs, events + warmup, "naos async");
  verify_chain(files, events + warmup, dir, "naos async");
  return finish("naos async", "1 thread x append_async(), " + std::to_string(inflight) + " in flight", events,
                seconds, std::move(latencies));
}

// ---------------------------------------------------------------------------
// Raw SQLite peers, on store::Database (same PRAGMAs, same schema).

struct RawDb {
  std::unique_ptr<naos::store::Database> db;
  naos::store::Statement insert;
};

RawDb open_raw(const fs::path& file) {
  auto db = naos::store::Database::open(file);
  if (!db) die("Database::open: " + db.error().to_string());
  auto insert = (*db)->prepare(
      "INSERT INTO audit_events(seq, ts_ms, actor, agent, type, payload, prev_hash, hash) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!insert) die("prepare: " + insert.error().to_string());
  return {std::move(*db), std::move(*insert)};
}

// Hash-shaped text (64 hex chars) so rows are the size naos's are; nothing is hashed.
std::string fake_hash(int64_t seq) {
  char buf[65];
  std::snprintf(buf, sizeof buf, "%064llx", static_cast<unsigned long long>(seq) * 0x9e3779b97f4a7c15ull);
  return buf;
}

void insert_event(RawDb& raw, naos::Clock& clock, int64_t seq) {
  gov::AuditEventDraft draft = make_draft(seq, 0);
  std::string payload = draft.payload.dump();
  raw.insert.reset();
  raw.insert.bind(1, seq).bind(2, clock.now_ms()).bind(3, draft.actor).bind(4, draft.agent).bind(5, draft.type);
  raw.insert.bind(6, payload).bind(7, fake_hash(seq - 1)).bind(8, fake_hash(seq));
  auto status = raw.insert.run();
  if (!status) die("raw INSERT: " + status.error().to_string());
}

void commit(naos::store::Transaction& transaction) {
  auto status = transaction.commit();
  if (!status) die("raw COMMIT: " + status.error().to_string());
}

naos::store::Transaction begin(RawDb& raw) {
  auto transaction = raw.db->begin();
  if (!transaction) die("raw BEGIN: " + transaction.error().to_string());
  return std::move(*transaction);
}

Measurement run_raw_per_event(const fs::path& parent, int64_t events, int warmup) {
  TempDir dir(parent);
  naos::SystemClock clock;
  RawDb raw = open_raw(dir.path() / "nexus.db");
  int64_t seq = 0;
  for (int i = 0; i < std::min(warmup, 100); ++i) {
    auto transaction = begin(raw);
    insert_event(raw, clock, ++seq);
    commit(transaction);
  }
  std::vector<double> latencies;
  latencies.reserve(static_cast<size_t>(events));
  auto start = Steady::now();
  for (int64_t i = 0; i < events; ++i) {
    auto t0 = Steady::now();
    auto transaction = begin(raw);
    insert_event(raw, clock, ++seq);
    commit(transaction);
    latencies.push_back(ns_between(t0, Steady::now()));
  }
  double seconds = ns_between(start, Steady::now()) / 1e9;
  return finish("raw 1/txn", "1 thread, BEGIN+INSERT+COMMIT per event", events, seconds, std::move(latencies));
}

Measurement run_raw_batched(const fs::path& parent, int64_t events, int batch, int warmup) {
  TempDir dir(parent);
  naos::SystemClock clock;
  RawDb raw = open_raw(dir.path() / "nexus.db");
  int64_t seq = 0;
  {
    auto transaction = begin(raw);
    for (int i = 0; i < warmup; ++i) insert_event(raw, clock, ++seq);
    commit(transaction);
  }
  std::vector<double> latencies;
  latencies.reserve(static_cast<size_t>(events));
  std::vector<Steady::time_point> started;
  started.reserve(static_cast<size_t>(batch));
  auto start = Steady::now();
  for (int64_t done = 0; done < events;) {
    int64_t n = std::min<int64_t>(batch, events - done);
    started.clear();
    auto transaction = begin(raw);
    for (int64_t i = 0; i < n; ++i) {
      started.push_back(Steady::now());
      insert_event(raw, clock, ++seq);
    }
    commit(transaction);
    auto acked = Steady::now();
    for (auto t0 : started) latencies.push_back(ns_between(t0, acked));
    done += n;
  }
  double seconds = ns_between(start, Steady::now()) / 1e9;
  return finish("raw batch", "1 thread, " + std::to_string(batch) + " INSERTs per transaction", events, seconds,
                std::move(latencies));
}

// ---------------------------------------------------------------------------

int64_t parse_count(const char* flag, const char* value, int64_t min) {
  if (value == nullptr) die(std::string(flag) + " needs a value");
  char* end = nullptr;
  long long n = std::strtoll(value, &end, 10);
  if (*end != '\0' || n < min || n > 100'000'000) die(std::string("bad value for ") + flag + ": " + value);
  return n;
}

void usage() {
  std::printf(
      "usage: bench_audit_append [--events N] [--threads N] [--inflight K] [--raw-events N]\n"
      "                          [--batch-events N] [--batch B] [--warmup N] [--dir PATH] [--only NAME]\n"
      "                          [--witness] [--json]\n"
      "  --events        timed events for each naos variant (default 200000)\n"
      "  --threads       producer threads calling append() (default 8)\n"
      "  --inflight      futures in flight for the append_async() variant (default 1024)\n"
      "  --raw-events    events for raw SQLite, one transaction per event (default 2000)\n"
      "  --batch-events  events for raw SQLite, batched (default: --events)\n"
      "  --batch         INSERTs per transaction for the batched peer (default 1000)\n"
      "  --warmup        untimed events first, on each fresh database (default 1000)\n"
      "  --dir           where the temporary databases go (default: the system temp dir)\n"
      "  --only NAME     run one variant, for profiling (naos-sync, naos-async, raw-txn,\n"
      "                  raw-batch); prints no ratios and no PASS/FAIL\n"
      "  --witness       the naos variants also append each signed head to a witness file\n"
      "                  (governance/witness.h), as a project's audit log does\n"
      "  --json          print the results as JSON\n");
}

nlohmann::json to_json(const Measurement& m) {
  return {{"name", m.name},
          {"description", m.description},
          {"events", m.events},
          {"seconds", m.seconds},
          {"events_per_s", m.events_per_s},
          {"latency_us", {{"mean", m.latency.mean_us}, {"p50", m.latency.p50_us}, {"p99", m.latency.p99_us},
                          {"max", m.latency.max_us}}}};
}

}  // namespace

int main(int argc, char** argv) {
  int64_t events = 200'000, raw_events = 2'000, batch_events = -1;
  int threads = 8, inflight = 1024, batch = 1000, warmup = 1000;
  fs::path parent = fs::temp_directory_path();
  bool json = false;
  bool witness = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&] { return i + 1 < argc ? argv[++i] : nullptr; };
    if (arg == "--events") events = parse_count("--events", next(), 1);
    else if (arg == "--threads") threads = static_cast<int>(parse_count("--threads", next(), 1));
    else if (arg == "--inflight") inflight = static_cast<int>(parse_count("--inflight", next(), 1));
    else if (arg == "--raw-events") raw_events = parse_count("--raw-events", next(), 1);
    else if (arg == "--batch-events") batch_events = parse_count("--batch-events", next(), 1);
    else if (arg == "--batch") batch = static_cast<int>(parse_count("--batch", next(), 1));
    else if (arg == "--warmup") warmup = static_cast<int>(parse_count("--warmup", next(), 0));
    else if (arg == "--dir") {
      const char* value = next();
      if (value == nullptr) die("--dir needs a value");
      parent = value;
    } else if (arg == "--only") {
      const char* value = next();
      if (value == nullptr) die("--only needs a value");
      only = value;
    } else if (arg == "--json") json = true;
    else if (arg == "--witness") witness = true;
    else if (arg == "-h" || arg == "--help") { usage(); return 0; }
    else { usage(); die("unknown argument " + arg); }
  }
  if (batch_events < 0) batch_events = events;
  std::error_code ec;
  if (!fs::is_directory(parent, ec)) die(parent.string() + " is not a directory");

  if (!only.empty() && only != "naos-sync" && only != "naos-async" && only != "raw-txn" && only != "raw-batch") {
    usage();
    die("bad value for --only: " + only);
  }
  auto wanted = [&](const char* name) { return only.empty() || only == name; };
  auto say = [&](const std::string& line) {
    if (json) return;
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  say("bench_audit_append: durable appends (WAL, synchronous=FULL) in " + parent.string() + ", " +
      std::to_string(std::thread::hardware_concurrency()) + " hardware threads");
  std::vector<Measurement> results;
  if (wanted("naos-sync")) {
    say("running naos sync (" + std::to_string(events) + " events, " + std::to_string(threads) + " threads) ...");
    results.push_back(run_naos_sync(parent, events, threads, warmup, witness));
  }
  if (wanted("naos-async")) {
    say("running naos async (" + std::to_string(events) + " events, " + std::to_string(inflight) +
        " in flight) ...");
    results.push_back(run_naos_async(parent, events, inflight, warmup, witness));
  }
  if (wanted("raw-txn")) {
    say("running raw SQLite, 1 event per transaction (" + std::to_string(raw_events) + " events) ...");
    results.push_back(run_raw_per_event(parent, raw_events, warmup));
  }
  if (wanted("raw-batch")) {
    say("running raw SQLite, " + std::to_string(batch) + " events per transaction (" +
        std::to_string(batch_events) + " events) ...");
    results.push_back(run_raw_batched(parent, batch_events, batch, warmup));
  }
  say("");

  auto print_table = [&] {
    std::printf("%-11s %-44s %9s %8s %12s %10s %10s %10s\n", "", "", "events", "seconds", "events/s", "p50 us",
                "p99 us", "max us");
    for (const auto& m : results) {
      std::printf("%-11s %-44s %9lld %8.2f %12.0f %10.1f %10.1f %10.1f\n", m.name.c_str(), m.description.c_str(),
                  static_cast<long long>(m.events), m.seconds, m.events_per_s, m.latency.p50_us, m.latency.p99_us,
                  m.latency.max_us);
    }
  };
  if (!only.empty()) {  // profiling one variant: no ratios, no target
    if (json) {
      nlohmann::json out = {{"benchmark", "audit_append"}, {"only", only}, {"results", nlohmann::json::array()}};
      for (const auto& m : results) out["results"].push_back(to_json(m));
      std::printf("%s\n", out.dump(2).c_str());
    } else {
      print_table();
    }
    return 0;
  }

  const Measurement& sync = results[0];
  const Measurement& async = results[1];
  const Measurement& raw1 = results[2];
  const Measurement& rawb = results[3];
  const Measurement& best = async.events_per_s >= sync.events_per_s ? async : sync;
  constexpr double kTarget = 100'000;
  bool pass = best.events_per_s >= kTarget;

  if (json) {
    nlohmann::json out = {{"benchmark", "audit_append"},
                          {"dir", parent.string()},
                          {"hardware_threads", std::thread::hardware_concurrency()},
                          {"warmup", warmup},
                          {"threads", threads},
                          {"inflight", inflight},
                          {"batch", batch},
                          {"results", nlohmann::json::array()},
                          {"best_naos", best.name},
                          {"ratio_best_naos_vs_raw_per_event", best.events_per_s / raw1.events_per_s},
                          {"ratio_best_naos_vs_raw_batched", best.events_per_s / rawb.events_per_s},
                          {"target_events_per_s_min", kTarget},
                          {"pass", pass}};
    for (const auto& m : results) out["results"].push_back(to_json(m));
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }

  print_table();
  std::printf("\n(latency = one event, from the call until it is acknowledged durable;\n"
              " for raw batch, from the event's INSERT until its transaction's COMMIT returns)\n\n");
  std::printf("ratios, events/s:\n");
  std::printf("  naos sync  / raw 1/txn  %8.2fx    naos sync  / raw batch %6.2fx\n",
              sync.events_per_s / raw1.events_per_s, sync.events_per_s / rawb.events_per_s);
  std::printf("  naos async / raw 1/txn  %8.2fx    naos async / raw batch %6.2fx\n",
              async.events_per_s / raw1.events_per_s, async.events_per_s / rawb.events_per_s);
  std::printf("ratios, p99 latency:\n");
  std::printf("  naos sync  / raw 1/txn  %8.2fx    naos async / raw 1/txn %6.2fx\n",
              sync.latency.p99_us / raw1.latency.p99_us, async.latency.p99_us / raw1.latency.p99_us);
  std::printf("audit chains verified intact after both naos runs\n\n");
  std::printf("%s: naos audit >= 100000 durable events/s (%s: %.0f events/s, p99 %.1f us)\n", pass ? "PASS" : "FAIL",
              best.name.c_str(), best.events_per_s, best.latency.p99_us);
  return 0;
}
