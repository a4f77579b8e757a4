// ConfigEdit — commands that change nexus.config.yaml (`naos supervisor
// create`, `add`, and later workflows, sagas and pools) edit its text rather
// than re-emit it, so the user's comments, key order and layout survive
// everywhere but in the one entry that changes.
//
// set_config_entry(file, section, name, body) sets `section.name` to `body`:
//
//   - no `section:` key: the section is appended at the end of the file;
//   - `section:` as a block: an entry of that name is replaced (from its key
//     line to its last indented line; comments and blank lines after it stay
//     with what follows), or a new entry goes after the section's last
//     indented line, at the indentation of the other entries (2 if none);
//   - `section: {}` / `~` / `null`: becomes a block holding the entry;
//   - `section: { a: ..., b: ... }` on one line: rewritten as a block, one
//     entry per line in flow style, then edited as above;
//   - a flow mapping over several lines, or any other value: refused
//     (kFailedPrecondition), since the edit could not keep it as written.
//
// `section` is a top-level key whose value maps names to entries (agents,
// supervisors, sagas, workflows, pools, skills). `body` is the entry's YAML at
// indentation 0 ("strategy: one-for-one\nchildren: [a, b]\n"), re-indented
// under `name:`; an empty body writes `name: {}`. Line endings follow the
// file (LF or CRLF).
//
// Safety: the file must parse with parse_config before the edit
// (kFailedPrecondition otherwise); the edited text must parse too
// (kInvalidArgument, with the validator's message), must hold exactly the
// new entry under section.name, and must leave every other entry and
// section as it was (kInternal otherwise). Only then is the file replaced,
// atomically (a synced sibling temporary renamed over it, keeping its
// permissions). On any error the file is untouched.
//
// Many processes: every edit holds the config's edit lock (ConfigLock, an
// flock on `.nexus.config.yaml.lock` beside the file) from before it reads
// the file until the new file is renamed into place, so concurrent edits are
// applied one after another and none is lost. A command whose edit depends
// on what the file says (a name not taken yet, the steps a workflow has)
// takes the lock with lock_config() first, reads the file under it, and
// passes the lock to set_config_entry.
//
// Threading: pure functions of their arguments and the file; any thread.
// A ConfigLock excludes every other holder, in this process too.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/file_lock.h"
#include "base/result.h"

namespace naos::project {

// The edit lock of one config file, held while the object lives.
class ConfigLock {
 public:
  // The file to edit (a symlink's target: the link stays a link).
  const std::filesystem::path& config_file() const { return file_; }
  // The path the caller named, for messages.
  const std::filesystem::path& named_file() const { return named_; }

 private:
  friend Result<ConfigLock> lock_config(const std::filesystem::path& config_file);
  ConfigLock(FileLock lock, std::filesystem::path file, std::filesystem::path named)
      : lock_(std::move(lock)), file_(std::move(file)), named_(std::move(named)) {}
  FileLock lock_;
  std::filesystem::path file_;
  std::filesystem::path named_;
};

// Waits for the edit lock of `config_file`. Errors: kNotFound (no such
// file), kUnavailable (the lock file cannot be made or locked).
Result<ConfigLock> lock_config(const std::filesystem::path& config_file);

// The text edit alone (no validation): `text` with section.name set to body.
// Errors: kInvalidArgument (a bad name or body), kFailedPrecondition (the
// section is written in a form this cannot edit).
Result<std::string> set_entry_in_text(std::string_view text, std::string_view section, std::string_view name,
                                      std::string_view yaml_body);

// Sets section.name in the locked config file (see above), reading the file
// as it is now. Errors: kNotFound (no such file), kFailedPrecondition,
// kInvalidArgument, kInternal, kUnavailable (the file could not be written).
Status set_config_entry(const ConfigLock& lock, std::string_view section, std::string_view name,
                        std::string_view yaml_body);
// The same, taking and releasing the lock itself: for an edit that does not
// depend on what the file says.
Status set_config_entry(const std::filesystem::path& config_file, std::string_view section, std::string_view name,
                        std::string_view yaml_body);

}  // namespace naos::project
