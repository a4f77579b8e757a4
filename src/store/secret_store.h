// SecretStore — `naos secret set/list/delete`: named values (API keys) kept in
// table `secrets` (schema.h), encrypted at rest with XSalsa20-Poly1305
// (libsodium secretbox) under a key in data/secret.key (0600, created on first
// use). A stored value is `nonce || ciphertext`. Values never reach the audit
// log, logs or output; only an agent granted the name (capabilities.env)
// receives one.
//
// Threading: safe from any thread (one mutex around the shared connection).
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/database.h"

namespace naos::store {

struct SecretInfo {
  std::string name;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

class SecretStore {
 public:
  static Result<std::unique_ptr<SecretStore>> open(Database& database, const std::filesystem::path& key_file);

  // Names are 1-128 of [A-Za-z0-9_]; values at most 64 KiB.
  Status set(std::string_view name, std::string_view value, int64_t now_ms);
  Result<std::optional<std::string>> get(std::string_view name);
  Result<std::vector<SecretInfo>> list();
  // Errors: kNotFound.
  Status remove(std::string_view name);

 private:
  SecretStore(Database& database, std::string key) : database_(database), key_(std::move(key)) {}
  Database& database_;
  std::string key_;
  std::mutex mutex_;
};

}  // namespace naos::store
