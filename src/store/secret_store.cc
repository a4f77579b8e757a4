#include "store/secret_store.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace naos::store {
namespace {

Result<std::string> load_or_create_key(const std::filesystem::path& file) {
  if (sodium_init() < 0) return Error(Code::kInternal, "libsodium failed to initialize");
  std::ifstream in(file, std::ios::binary);
  if (in) {
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (bytes.str().size() != crypto_secretbox_KEYBYTES) {
      return Error(Code::kFailedPrecondition, "the secret key file is malformed", file.string());
    }
    return bytes.str();
  }
  std::string key(crypto_secretbox_KEYBYTES, '\0');
  crypto_secretbox_keygen(reinterpret_cast<unsigned char*>(key.data()));
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  // Written whole to a temporary, then linked into place: link() fails if
  // the key exists, so processes racing to create it agree on one key and
  // none reads another's half written.
  std::filesystem::path temporary = file;
  temporary += "." + std::to_string(::getpid()) + ".new";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error(Code::kUnavailable, "cannot create the secret key", file.string());
  bool written = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  int linked = written ? ::link(temporary.c_str(), file.c_str()) : -1;
  int link_error = errno;
  ::unlink(temporary.c_str());
  if (!written) return Error(Code::kUnavailable, "cannot write the secret key", file.string());
  if (linked != 0) {
    if (link_error == EEXIST) return load_or_create_key(file);  // another process made it first
    return Error(Code::kUnavailable, "cannot create the secret key", file.string());
  }
  return key;
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= 128 &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

}  // namespace

Result<std::unique_ptr<SecretStore>> SecretStore::open(Database& database, const std::filesystem::path& key_file) {
  NAOS_ASSIGN_OR_RETURN(std::string key, load_or_create_key(key_file));
  return std::unique_ptr<SecretStore>(new SecretStore(database, std::move(key)));
}

Status SecretStore::set(std::string_view name, std::string_view value, int64_t now_ms) {
  if (!valid_name(name)) {
    return Error(Code::kInvalidArgument, "a secret name is 1-128 letters, digits or _", std::string(name));
  }
  if (value.size() > 64 * 1024) return Error(Code::kInvalidArgument, "a secret is at most 64 KiB", std::string(name));
  std::string sealed(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + value.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(sealed.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char*>(value.data()),
                        value.size(), nonce, reinterpret_cast<const unsigned char*>(key_.data()));
  std::lock_guard lock(mutex_);
  NAOS_ASSIGN_OR_RETURN(Statement stmt,
                        database_.prepare("INSERT INTO secrets(name, value, created_ms, updated_ms) "
                                          "VALUES (?1, ?2, ?3, ?3) ON CONFLICT(name) DO UPDATE SET "
                                          "value = excluded.value, updated_ms = excluded.updated_ms"));
  stmt.bind(1, name).bind_blob(2, sealed).bind(3, now_ms);
  return stmt.run();
}

Result<std::optional<std::string>> SecretStore::get(std::string_view name) {
  std::lock_guard lock(mutex_);
  NAOS_ASSIGN_OR_RETURN(Statement stmt, database_.prepare("SELECT value FROM secrets WHERE name = ?1"));
  stmt.bind(1, name);
  NAOS_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return std::optional<std::string>();
  std::string sealed = stmt.column_text(0);
  size_t overhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
  if (sealed.size() < overhead) return Error(Code::kFailedPrecondition, "a stored secret is corrupt", std::string(name));
  std::string value(sealed.size() - overhead, '\0');
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(value.data()), nonce + crypto_secretbox_NONCEBYTES,
                                 sealed.size() - crypto_secretbox_NONCEBYTES, nonce,
                                 reinterpret_cast<const unsigned char*>(key_.data())) != 0) {
    return Error(Code::kFailedPrecondition, "a stored secret does not decrypt (wrong data/secret.key?)",
                 std::string(name));
  }
  return std::optional<std::string>(std::move(value));
}

Result<std::vector<SecretInfo>> SecretStore::list() {
  std::lock_guard lock(mutex_);
  NAOS_ASSIGN_OR_RETURN(Statement stmt, database_.prepare("SELECT name, created_ms, updated_ms FROM secrets ORDER BY name"));
  std::vector<SecretInfo> out;
  while (true) {
    NAOS_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) return out;
    out.push_back({stmt.column_text(0), stmt.column_int64(1), stmt.column_int64(2)});
  }
}

Status SecretStore::remove(std::string_view name) {
  std::lock_guard lock(mutex_);
  NAOS_ASSIGN_OR_RETURN(Statement check, database_.prepare("SELECT 1 FROM secrets WHERE name = ?1"));
  check.bind(1, name);
  NAOS_ASSIGN_OR_RETURN(bool exists, check.step());
  if (!exists) return Error(Code::kNotFound, "no such secret", std::string(name));
  NAOS_ASSIGN_OR_RETURN(Statement stmt, database_.prepare("DELETE FROM secrets WHERE name = ?1"));
  stmt.bind(1, name);
  return stmt.run();
}

}  // namespace naos::store
