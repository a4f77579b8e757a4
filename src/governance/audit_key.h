// AuditKey — the project's Ed25519 key that signs the audit log's head and
// checkpoints, so that rewriting the whole chain without the key is detected.
//
// On disk: data/audit.key, created on first use with mode 0600, two lines of
// hex: the 32-byte public key, then the 64-byte secret key (libsodium's
// crypto_sign format). Losing the file makes old signatures unverifiable;
// `naos audit verify` then says so instead of reporting tampering.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace naos::governance {

class AuditKey {
 public:
  // Loads the key, creating it if the file does not exist.
  static Result<AuditKey> load_or_create(const std::filesystem::path& file);
  // Loads the key; kNotFound when the file does not exist.
  static Result<AuditKey> load(const std::filesystem::path& file);

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
