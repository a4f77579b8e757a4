// KvStore — the rows behind the kv capability: one namespace per agent in
// table `kv` (schema.h). Safe from any thread (one mutex around the shared
// connection).
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/database.h"

namespace naos::store {

class KvStore {
 public:
  explicit KvStore(Database& database) : database_(database) {}

  Result<std::optional<std::string>> get(std::string_view agent, std::string_view key);
  Status set(std::string_view agent, std::string_view key, std::string_view value, int64_t now_ms);

  struct Entry {
    std::string key;
    std::string value;
    int64_t updated_ms = 0;
  };
  // Every entry of one agent, by key (for `naos inspect --state`).
  Result<std::vector<Entry>> entries(std::string_view agent);

 private:
  Database& database_;
  std::mutex mutex_;
};

}  // namespace naos::store
