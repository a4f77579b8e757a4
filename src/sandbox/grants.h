// Grants — everything an agent may reach beyond pure computation. The default
// (an empty Grants) reaches nothing: no files, no network, no environment, no
// kv. `log` and `time_now` are always available (docs/abi.md).
//
// The sandbox checks grants twice: at load, a module importing a `nexus`
// function its grants do not cover is refused; at call time, the capability
// implementation (capabilities/) checks the call's arguments (which host,
// which path) and denies with kPermissionDenied, which the sandbox records.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace naos::sandbox {

enum class NetworkAccess { kNone, kRestricted, kOpen };

enum class Writable : bool { kNo = false, kYes = true };

// A host folder made visible to the guest at `guest_path` (e.g. "/inputs").
struct Preopen {
  std::filesystem::path host_path;
  std::string guest_path;
  Writable writable = Writable::kNo;
};

struct Grants {
  NetworkAccess network = NetworkAccess::kNone;
  // Allow-list entries (docs/abi.md "HTTP"); used when network is kRestricted,
  // and to unlock private addresses under kOpen.
  std::vector<std::string> allowed_hosts;
  std::vector<Preopen> preopens;
  // Host environment variables passed through, resolved to name/value.
  std::vector<std::pair<std::string, std::string>> env;
  bool kv = false;
  // nexus.llm_complete, to the project's configured providers only.
  bool llm = false;
};

}  // namespace naos::sandbox
