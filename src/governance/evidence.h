// Evidence — what a project keeps outside its own data/ folder, so that
// whoever can write data/ cannot erase the proof of what happened there.
//
// Where: one folder per project under the user's state directory,
//     $NAOS_STATE_DIR, else $XDG_STATE_HOME/naos, else $HOME/.local/state/naos
//     then projects/<first 32 hex of SHA-256(real path of the project root)>/
// created with mode 0700, holding
//     database.id   the identity of the project's database (32 hex), which the
//                   database also records (table project_identity, store/schema.h)
//     audit.key     the audit log's Ed25519 key (governance/audit_key.h), 0600
//     witness.log   every signed head the audit log wrote (governance/witness.h)
//     project       the project root's path, for people reading the folder
//     lock          flock()ed while the folder is created or changed
//     database.id.pending  only between the two writes of a new identity
//
// Invariants (Evidence::open refuses to go on otherwise):
//   1. A project whose evidence records a database opens only that database:
//      one deleted, emptied or replaced is an error naming what is missing,
//      never a silent fresh start.
//   2. A missing audit key is never replaced by a new one: a new key would
//      sign a rewritten history as readily as the real one.
//   3. A database is bound to evidence at most once: a database with an
//      identity but no evidence here (the project moved, or the evidence was
//      deleted) is an error that says where its evidence is, if anywhere.
// Recovery::kAccept (`naos audit accept`, which audits what it accepted) is
// the one way past 1-3: it binds the database as it is now, making a new
// identity or key where one is missing, and lists what it accepted.
//
// Cases Evidence::open handles (R: database.id here; I: the database's identity):
//   R == I, key present          the ordinary open (no lock taken)
//   no R, no I, data/audit.key   a project from before evidence: its key moves
//                                here and the database gets an identity
//   no R, no I, no audit events  a new project: a new key and identity
//   no R, no I, audit events     the key was deleted (2)
//   R, no I                      the database was deleted or emptied (1)
//   R != I                       the database was replaced (1)
//   R == I, no key               the key was deleted (2)
//   no R, I                      moved or evidence deleted (3)
// A crash between the database's identity and database.id leaves
// database.id.pending, which the next open completes.
//
// Threading: open() from any number of processes at once (the lock file
// serializes the changes); an Evidence is a plain value afterwards.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "governance/audit_key.h"
#include "store/database.h"

namespace naos::governance {

// Reads an environment variable (main() passes getenv, tests a map).
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The user's naos state directory (above). Errors: kFailedPrecondition when
// none of NAOS_STATE_DIR, XDG_STATE_HOME and HOME is set.
Result<std::filesystem::path> state_directory(const EnvironmentLookup& env);

enum class Recovery : bool { kRefuse, kAccept };

class Evidence {
 public:
  // The evidence folder of the project whose root is `project_root`.
  static Result<std::filesystem::path> folder_for(const std::filesystem::path& state_dir,
                                                  const std::filesystem::path& project_root);

  // Checks `database` against the evidence of the project at `project_root`,
  // or binds it on first use (the cases above). `legacy_key_file` is where
  // projects kept the audit key before evidence (data/audit.key).
  // Errors: kFailedPrecondition for a broken invariant (the message says what
  // is missing and what to do); kUnavailable from the filesystem.
  static Result<Evidence> open(const std::filesystem::path& state_dir, const std::filesystem::path& project_root,
                               store::Database& database, const std::filesystem::path& legacy_key_file,
                               int64_t now_ms, Recovery recovery = Recovery::kRefuse);

  // `naos init`: when `database` is new (no identity, no audit events),
  // evidence of an earlier project at the same path would refuse it (1), so
  // that evidence is moved to <state>/retired/<folder name>-<now_ms>.
  // Returns where, or nothing when nothing was retired.
  static Result<std::optional<std::filesystem::path>> retire_for_new_database(
      const std::filesystem::path& state_dir, const std::filesystem::path& project_root, store::Database& database,
      int64_t now_ms);

  const std::filesystem::path& folder() const { return folder_; }
  std::filesystem::path key_file() const { return folder_ / "audit.key"; }
  std::filesystem::path witness_file() const { return folder_ / "witness.log"; }
  const std::string& database_id() const { return database_id_; }
  const AuditKey& key() const { return key_; }
  // With Recovery::kAccept: each thing that was wrong and has been accepted.
  const std::vector<std::string>& accepted() const { return accepted_; }

 private:
  Evidence(std::filesystem::path folder, std::string database_id, AuditKey key, std::vector<std::string> accepted)
      : folder_(std::move(folder)),
        database_id_(std::move(database_id)),
        key_(std::move(key)),
        accepted_(std::move(accepted)) {}

  std::filesystem::path folder_;
  std::string database_id_;
  AuditKey key_;
  std::vector<std::string> accepted_;
};

}  // namespace naos::governance
