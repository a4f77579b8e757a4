#include "governance/audit_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <fstream>

namespace naos::governance {
namespace {

std::string to_hex(const std::string& bytes) {
  std::string hex(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  hex.pop_back();
  return hex;
}

bool from_hex(std::string_view hex, size_t size, std::string& out) {
  out.assign(size, '\0');
  size_t written = 0;
  return sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), size, hex.data(), hex.size(), nullptr,
                        &written, nullptr) == 0 &&
         written == size;
}

}  // namespace

Result<AuditKey> AuditKey::load(const std::filesystem::path& file) {
  if (sodium_init() < 0) return Error(Code::kInternal, "libsodium failed to initialize");
  std::ifstream in(file);
  if (!in) return Error(Code::kNotFound, "no audit key", file.string());
  std::string public_hex, secret_hex, public_key, secret_key;
  in >> public_hex >> secret_hex;
  if (!from_hex(public_hex, crypto_sign_PUBLICKEYBYTES, public_key) ||
      !from_hex(secret_hex, crypto_sign_SECRETKEYBYTES, secret_key)) {
    return Error(Code::kFailedPrecondition, "the audit key file is malformed", file.string());
  }
  return AuditKey(std::move(public_key), std::move(secret_key));
}

Result<AuditKey> AuditKey::load_or_create(const std::filesystem::path& file) {
  auto existing = load(file);
  if (existing || existing.error().code() != Code::kNotFound) return existing;
  std::string public_key(crypto_sign_PUBLICKEYBYTES, '\0'), secret_key(crypto_sign_SECRETKEYBYTES, '\0');
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(public_key.data()),
                      reinterpret_cast<unsigned char*>(secret_key.data()));
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  // Written whole to a temporary, then linked into place: link() fails if
  // the key exists, so two processes racing to create it never overwrite
  // each other, and neither reads the other's key half written.
  std::filesystem::path temporary = file;
  temporary += "." + std::to_string(::getpid()) + ".new";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error(Code::kUnavailable, "cannot create the audit key", file.string());
  std::string text = to_hex(public_key) + "\n" + to_hex(secret_key) + "\n";
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  int linked = written ? ::link(temporary.c_str(), file.c_str()) : -1;
  int link_error = errno;
  ::unlink(temporary.c_str());
  if (!written) return Error(Code::kUnavailable, "cannot write the audit key", file.string());
  if (linked != 0) {
    if (link_error == EEXIST) return load(file);  // another process made it first
    return Error(Code::kUnavailable, "cannot create the audit key", file.string());
  }
  return AuditKey(std::move(public_key), std::move(secret_key));
}

std::string AuditKey::public_key_hex() const { return to_hex(public_key_); }

std::string AuditKey::sign(std::string_view message) const {
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(secret_key_.data()));
  return to_hex(signature);
}

namespace {

bool verify_detached(const std::string& public_key, std::string_view message, std::string_view signature_hex) {
  std::string signature;
  if (!from_hex(signature_hex, crypto_sign_BYTES, signature)) return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                     reinterpret_cast<const unsigned char*>(public_key.data())) == 0;
}

}  // namespace

bool AuditKey::verify(std::string_view message, std::string_view signature_hex) const {
  return verify_detached(public_key_, message, signature_hex);
}

bool verify_with_public_key(std::string_view public_key_hex, std::string_view message,
                            std::string_view signature_hex) {
  if (sodium_init() < 0) return false;
  std::string public_key;
  if (!from_hex(public_key_hex, crypto_sign_PUBLICKEYBYTES, public_key)) return false;
  return verify_detached(public_key, message, signature_hex);
}

}  // namespace naos::governance
