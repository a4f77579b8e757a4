// AuditKey — the project's Ed25519 key that signs the audit log's head and
// checkpoints, so that rewriting the whole chain without the key is detected.
//
// On disk: audit.key in the project's evidence folder, outside data/
// (governance/evidence.h), mode 0600, two lines of hex: the 32-byte public
// key, then the 64-byte secret key (libsodium's crypto_sign format). A key
// beside the database it protects could be deleted with it and quietly
// replaced; so a project's key is made once, and a missing one is an error.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace naos::governance {

// Whether `signature_hex` is a valid signature of `message` by the key whose
// public half is `public_key_hex` (another project's, e.g. an archive's).
bool verify_with_public_key(std::string_view public_key_hex, std::string_view message,
                            std::string_view signature_hex);

class AuditKey {
 public:
  // Loads the key, creating it if the file does not exist.
  static Result<AuditKey> load_or_create(const std::filesystem::path& file);
  // Loads the key; kNotFound when the file does not exist.
  static Result<AuditKey> load(const std::filesystem::path& file);

  // The public half, as hex: what an auditor needs to check signatures
  // without naos (`naos export` carries it beside the signed head).
  std::string public_key_hex() const;
  // Detached signature of `message`, as hex.
  std::string sign(std::string_view message) const;
  bool verify(std::string_view message, std::string_view signature_hex) const;

 private:
  AuditKey(std::string public_key, std::string secret_key)
      : public_key_(std::move(public_key)), secret_key_(std::move(secret_key)) {}
  std::string public_key_;  // raw bytes
  std::string secret_key_;  // raw bytes
};

}  // namespace naos::governance
