// libFuzzer target: nexus.config.yaml text -> project::parse_config. Any
// input must give a Config or an Error: no crash, no exception escaping, no
// sanitizer report, no hang (libFuzzer's -timeout catches those).
#include <cstddef>
#include <cstdint>
#include <string>

#include "project/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto config = naos::project::parse_config(text, "nexus.config.yaml");
  if (!config) {
    // The error renders (its message and file:line:col context).
    volatile size_t rendered = config.error().to_string().size();
    (void)rendered;
  }
  return 0;
}
