// Clock — where naos reads the time. main() makes a SystemClock and passes it
// down (no ambient authority in the host either); tests pass a FakeClock.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace naos {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch, UTC.
  virtual int64_t now_ms() = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t now_ms() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// ISO 8601 UTC with milliseconds: 2025-01-15T10:30:01.123Z.
std::string format_utc_ms(int64_t unix_ms);

}  // namespace naos
