// KvStore — the rows behind the kv capability: one namespace per agent in
// table `kv` (schema.h). Safe from any thread (one mutex around the shared
// connection).
//
// Atomic updates: many instances of one agent, in any number of processes,
// may update one key at once. get() then set() is a race (two runs read 4,
// both write 5); compare_and_set() and increment() are each one SQL
// statement, so SQLite's write lock makes each whole, with no transaction
// held open on the connection this store shares with others.
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
  // Stores `value` only if the key now holds exactly `expected` (nullopt:
  // only if the key is absent). True when it was stored, false when the key
  // held something else.
  Result<bool> compare_and_set(std::string_view agent, std::string_view key, std::optional<std::string_view> expected,
                               std::string_view value, int64_t now_ms);
  // Adds `delta` to the decimal integer stored under the key (absent counts
  // as 0), stores the sum as decimal text, and returns it. Errors:
  // kInvalidArgument when the value is not a decimal integer ("42", "-7";
  // no spaces, no leading zeros or '+') or the sum would not fit in int64.
  Result<int64_t> increment(std::string_view agent, std::string_view key, int64_t delta, int64_t now_ms);

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
