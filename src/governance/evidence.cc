#include "governance/evidence.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/file.h"
#include "base/sha256.h"
#include "governance/audit_log.h"
#include "governance/witness.h"

namespace naos::governance {
namespace {

namespace fs = std::filesystem;

Error unavailable(const std::string& what, const fs::path& path) {
  return Error(Code::kUnavailable, what + ": " + std::strerror(errno), path.string());
}

// A folder only this user may read: the key and the witness are in it.
Status make_private_folder(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) return Error(Code::kUnavailable, "cannot create the folder: " + ec.message(), folder.string());
  if (::chmod(folder.c_str(), 0700) != 0) return unavailable("cannot make the folder private", folder);
  return ok();
}

// The trimmed contents of a small file; nothing when it does not exist.
Result<std::optional<std::string>> read_small(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::optional<std::string>();
  NAOS_ASSIGN_OR_RETURN(std::string text, read_file(file, "evidence file"));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return std::optional<std::string>(std::move(text));
}

// Written to a temporary file, synced, renamed: a reader sees all or nothing.
Status write_atomically(const fs::path& file, const std::string& text) {
  fs::path temporary = file;
  temporary += ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return unavailable("cannot write", temporary);
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written || ::rename(temporary.c_str(), file.c_str()) != 0) return unavailable("cannot write", file);
  int folder = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (folder >= 0) {
    ::fsync(folder);  // the rename itself
    ::close(folder);
  }
  return ok();
}

// flock() on <folder>/lock for as long as it lives.
class FolderLock {
 public:
  static Result<FolderLock> take(const fs::path& folder) {
    fs::path file = folder / "lock";
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return unavailable("cannot open the lock file", file);
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) {
        ::close(fd);
        return unavailable("cannot lock", file);
      }
    }
    return FolderLock(fd);
  }
  FolderLock(FolderLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FolderLock& operator=(FolderLock&&) = delete;
  ~FolderLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }

 private:
  explicit FolderLock(int fd) : fd_(fd) {}
  int fd_;
};

// Symbolic links and `..` resolved: one project, one folder, however reached.
Result<fs::path> real_path(const fs::path& project_root) {
  std::error_code ec;
  fs::path real = fs::canonical(project_root, ec);
  if (ec) return Error(Code::kUnavailable, "cannot resolve the project folder: " + ec.message(), project_root.string());
  return real;
}

std::string new_database_id() {
  unsigned char bytes[16];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

Result<std::optional<std::string>> database_identity(store::Database& database) {
  NAOS_ASSIGN_OR_RETURN(store::Statement select,
                        database.prepare("SELECT database_id FROM project_identity WHERE id = 1"));
  NAOS_ASSIGN_OR_RETURN(bool row, select.step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(select.column_text(0));
}

Result<bool> has_audit_events(store::Database& database) {
  NAOS_ASSIGN_OR_RETURN(store::Statement select, database.prepare("SELECT EXISTS (SELECT 1 FROM audit_events)"));
  NAOS_ASSIGN_OR_RETURN(bool row, select.step());
  return row && select.column_int64(0) != 0;
}

// The evidence folder, other than `except`, whose database.id is `id`.
std::optional<fs::path> folder_recording(const fs::path& state_dir, const std::string& id, const fs::path& except) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(state_dir / "projects", ec)) {
    if (entry.path() == except) continue;
    auto recorded = read_small(entry.path() / "database.id");
    if (recorded && *recorded && **recorded == id) return entry.path();
  }
  return std::nullopt;
}

// Moves data/audit.key of a project from before evidence into the folder.
Status adopt_legacy_key(const fs::path& legacy, const fs::path& key_file) {
  if (::rename(legacy.c_str(), key_file.c_str()) == 0) {
    ::chmod(key_file.c_str(), 0600);
    return ok();
  }
  if (errno != EXDEV) return unavailable("cannot move the audit key", legacy);
  // Another filesystem: copy, sync, then remove the original.
  NAOS_ASSIGN_OR_RETURN(std::string text, read_file(legacy, "audit key"));
  NAOS_TRY(write_atomically(key_file, text));
  std::error_code ec;
  fs::remove(legacy, ec);
  return ok();
}

// What open() decides under the folder's lock.
class Binding {
 public:
  Binding(fs::path state_dir, fs::path folder, fs::path project_root, store::Database& database, int64_t now_ms,
          Recovery recovery)
      : state_dir_(std::move(state_dir)),
        folder_(std::move(folder)),
        project_root_(std::move(project_root)),
        database_(database),
        now_ms_(now_ms),
        accept_(recovery == Recovery::kAccept) {}

  struct Bound {
    std::string database_id;
    AuditKey key;
    std::vector<std::string> accepted;
  };
  Result<Bound> run(const fs::path& legacy_key_file);

 private:
  // Records `id` in the database, then in database.id (the pending file in
  // between lets a crash be finished by the next open).
  Status bind_identity(const std::string& id);
  Status witness_current_head(const AuditKey& key);
  fs::path id_file() const { return folder_ / "database.id"; }
  fs::path pending_file() const { return folder_ / "database.id.pending"; }
  fs::path key_file() const { return folder_ / "audit.key"; }
  std::string database_name() const { return database_.file().string(); }
  // An error for a broken invariant, or (accepting) a note of what was accepted.
  Status refuse_or_accept(std::string problem, std::string remedy, std::string accepted) {
    if (!accept_) {
      return Error(Code::kFailedPrecondition, problem + "; " + remedy +
                                                  ", or accept the project as it is now with `naos audit accept "
                                                  "--reason ...` (evidence: " + folder_.string() + ")");
    }
    accepted_.push_back(problem + ": " + accepted);
    return ok();
  }

  fs::path state_dir_, folder_, project_root_;
  store::Database& database_;
  int64_t now_ms_;
  bool accept_;
  std::vector<std::string> accepted_;
};

Status Binding::witness_current_head(const AuditKey& key) {
  // A log bound with events already (a project from before evidence) is
  // witnessed from now, not only from its next event.
  NAOS_ASSIGN_OR_RETURN(store::Statement head, database_.prepare("SELECT seq, hash, signature, signed_ms FROM audit_head"));
  NAOS_ASSIGN_OR_RETURN(bool row, head.step());
  if (!row) return ok();
  WitnessEntry entry{WitnessEntry::Kind::kHead, head.column_int64(0), head.column_text(1), head.column_int64(3),
                     head.column_text(2)};
  if (!key.verify(signed_message("head", entry.seq, entry.hash), entry.signature)) return ok();  // verify says so
  return Witness::append_to(folder_ / "witness.log", entry);
}

Status Binding::bind_identity(const std::string& id) {
  NAOS_TRY(write_atomically(pending_file(), id + "\n"));
  NAOS_ASSIGN_OR_RETURN(store::Statement insert,
                        database_.prepare("INSERT INTO project_identity(id, database_id, created_ms) "
                                          "VALUES (1, ?1, ?2) ON CONFLICT(id) DO UPDATE SET "
                                          "database_id = excluded.database_id, created_ms = excluded.created_ms"));
  insert.bind(1, id).bind(2, now_ms_);
  NAOS_TRY(insert.run());
  if (::rename(pending_file().c_str(), id_file().c_str()) != 0) return unavailable("cannot write", id_file());
  return write_atomically(folder_ / "project", project_root_.string() + "\n");
}

Result<Binding::Bound> Binding::run(const fs::path& legacy_key_file) {
  NAOS_ASSIGN_OR_RETURN(std::optional<std::string> recorded, read_small(id_file()));
  NAOS_ASSIGN_OR_RETURN(std::optional<std::string> pending, read_small(pending_file()));
  NAOS_ASSIGN_OR_RETURN(std::optional<std::string> identity, database_identity(database_));
  std::error_code ec;
  bool has_key = fs::exists(key_file(), ec);

  if (!recorded && pending && identity == pending) {
    // A crash after the database took its identity: finish the bind.
    if (::rename(pending_file().c_str(), id_file().c_str()) != 0) return unavailable("cannot write", id_file());
    recorded = pending;
  }
  std::string id;
  if (recorded) {
    if (!identity) {
      NAOS_TRY(refuse_or_accept("this project's database " + *recorded + " is missing: " + database_name() +
                                    " was deleted, emptied or replaced by a new one",
                                "restore it from a backup", "a new database was bound to the project"));
      id = new_database_id();
      NAOS_TRY(bind_identity(id));
    } else if (*identity != *recorded) {
      NAOS_TRY(refuse_or_accept(database_name() + " is database " + *identity + ", not this project's database " +
                                    *recorded + ": it was replaced",
                                "put the project's own database back", "database " + *identity + " was adopted"));
      id = *identity;
      NAOS_TRY(write_atomically(id_file(), id + "\n"));
    } else {
      id = *recorded;
    }
    if (!has_key) {
      NAOS_TRY(refuse_or_accept("the audit key " + key_file().string() +
                                    " is missing; naos never makes a new one for an existing log, since it would "
                                    "sign a rewritten history as readily as the real one",
                                "restore the key from a backup", "a new audit key was made"));
    }
  } else if (identity) {
    auto elsewhere = folder_recording(state_dir_, *identity, folder_);
    std::string where = elsewhere ? "its evidence is in " + elsewhere->string() +
                                        " (the project was moved or copied from the path in its `project` file)"
                                  : std::string("no evidence of it exists (it was deleted)");
    NAOS_TRY(refuse_or_accept("the evidence of this project's database " + *identity + " is missing: " + where,
                              elsewhere ? "move that folder to " + folder_.string()
                                        : std::string("restore the evidence folder from a backup"),
                              "the database was bound to new evidence"));
    id = *identity;
    if (fs::exists(legacy_key_file, ec) && !has_key) {
      NAOS_TRY(adopt_legacy_key(legacy_key_file, key_file()));
      has_key = true;
    }
    NAOS_TRY(bind_identity(id));
  } else {
    if (fs::exists(legacy_key_file, ec) && !has_key) {
      // A project from before evidence: its key moves out of data/.
      NAOS_TRY(adopt_legacy_key(legacy_key_file, key_file()));
      has_key = true;
    } else if (!has_key) {
      NAOS_ASSIGN_OR_RETURN(bool has_events, has_audit_events(database_));
      if (has_events) {
        NAOS_TRY(refuse_or_accept("the audit key " + legacy_key_file.string() + " of " + database_name() +
                                      " is missing; naos never makes a new one for an existing log, since it would "
                                      "sign a rewritten history as readily as the real one",
                                  "restore the key from a backup", "a new audit key was made"));
      }
    }
    // A pending id is one a crash left before the database took it.
    id = pending ? *pending : new_database_id();
    NAOS_TRY(bind_identity(id));
  }
  // Made only for a new project, or when accepting (refused above otherwise).
  NAOS_ASSIGN_OR_RETURN(AuditKey key, has_key ? AuditKey::load(key_file()) : AuditKey::load_or_create(key_file()));
  NAOS_TRY(witness_current_head(key));
  return Bound{std::move(id), std::move(key), std::move(accepted_)};
}

}  // namespace

Result<std::filesystem::path> state_directory(const EnvironmentLookup& env) {
  auto set = [&](const char* name) -> std::optional<std::string> {
    auto value = env(name);
    if (value && !value->empty()) return value;
    return std::nullopt;
  };
  if (auto dir = set("NAOS_STATE_DIR")) return fs::path(*dir);
  if (auto dir = set("XDG_STATE_HOME"); dir && fs::path(*dir).is_absolute()) return fs::path(*dir) / "naos";
  if (auto home = set("HOME")) return fs::path(*home) / ".local" / "state" / "naos";
  return Error(Code::kFailedPrecondition,
               "cannot tell where to keep the audit evidence: set NAOS_STATE_DIR (or HOME, or XDG_STATE_HOME)");
}

Result<std::filesystem::path> Evidence::folder_for(const std::filesystem::path& state_dir,
                                                   const std::filesystem::path& project_root) {
  NAOS_ASSIGN_OR_RETURN(fs::path real, real_path(project_root));
  return state_dir / "projects" / sha256_hex(real.string()).substr(0, 32);
}

Result<Evidence> Evidence::open(const std::filesystem::path& state_dir, const std::filesystem::path& project_root,
                                store::Database& database, const std::filesystem::path& legacy_key_file,
                                int64_t now_ms, Recovery recovery) {
  NAOS_ASSIGN_OR_RETURN(fs::path folder, folder_for(state_dir, project_root));
  // The ordinary open: the database is the one recorded, the key is there.
  NAOS_ASSIGN_OR_RETURN(std::optional<std::string> recorded, read_small(folder / "database.id"));
  if (recorded) {
    NAOS_ASSIGN_OR_RETURN(std::optional<std::string> identity, database_identity(database));
    if (identity == recorded) {
      auto key = AuditKey::load(folder / "audit.key");
      if (key) return Evidence(folder, *recorded, std::move(*key), {});
      if (key.error().code() != Code::kNotFound) return key.error();
    }
  }
  // Anything else is decided under the folder's lock, and then opened again.
  NAOS_TRY(make_private_folder(state_dir / "projects"));
  NAOS_TRY(make_private_folder(folder));
  NAOS_ASSIGN_OR_RETURN(FolderLock lock, FolderLock::take(folder));
  NAOS_ASSIGN_OR_RETURN(fs::path real, real_path(project_root));
  Binding binding(state_dir, folder, real, database, now_ms, recovery);
  NAOS_ASSIGN_OR_RETURN(Binding::Bound bound, binding.run(legacy_key_file));
  return Evidence(std::move(folder), std::move(bound.database_id), std::move(bound.key), std::move(bound.accepted));
}

Result<std::optional<std::filesystem::path>> Evidence::retire_for_new_database(
    const std::filesystem::path& state_dir, const std::filesystem::path& project_root, store::Database& database,
    int64_t now_ms) {
  NAOS_ASSIGN_OR_RETURN(fs::path folder, folder_for(state_dir, project_root));
  std::error_code ec;
  if (!fs::exists(folder, ec)) return std::optional<fs::path>();
  NAOS_ASSIGN_OR_RETURN(std::optional<std::string> identity, database_identity(database));
  NAOS_ASSIGN_OR_RETURN(bool has_events, has_audit_events(database));
  if (identity || has_events) return std::optional<fs::path>();
  NAOS_TRY(make_private_folder(state_dir / "retired"));
  fs::path retired = state_dir / "retired" / (folder.filename().string() + "-" + std::to_string(now_ms));
  if (::rename(folder.c_str(), retired.c_str()) != 0) return unavailable("cannot retire the evidence", folder);
  return std::optional<fs::path>(retired);
}

}  // namespace naos::governance
