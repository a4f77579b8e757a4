// The `nexus` import module, ABI version 1 (docs/abi.md): its functions, what
// grant each one needs, and the error codes a guest sees.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace naos::sandbox {

inline constexpr int kAbiVersion = 1;
inline constexpr std::string_view kNexusModule = "nexus";
inline constexpr std::string_view kWasiModule = "wasi_snapshot_preview1";

// Error codes returned to the guest; never renumbered.
inline constexpr int32_t kNexusOk = 0;
inline constexpr int32_t kNexusDenied = -1;
inline constexpr int32_t kNexusNotFound = -2;
inline constexpr int32_t kNexusTooSmall = -3;
inline constexpr int32_t kNexusInvalid = -4;
inline constexpr int32_t kNexusNetwork = -5;
inline constexpr int32_t kNexusLimit = -6;
inline constexpr int32_t kNexusInternal = -7;
// kv_cas found the key holding something other than what the guest expected.
inline constexpr int32_t kNexusConflict = -8;

// ABI size limits.
inline constexpr uint32_t kMaxKeyBytes = 256;
inline constexpr uint32_t kMaxValueBytes = 1024 * 1024;
inline constexpr uint32_t kMaxLogLineBytes = 64 * 1024;
inline constexpr uint32_t kMaxUrlBytes = 8 * 1024;
inline constexpr uint32_t kMaxCostDetailBytes = 256;
inline constexpr uint32_t kMaxLlmRequestBytes = 1024 * 1024;
// kv calls (kv_get, kv_set, kv_cas, kv_incr) one run may make; past it each
// returns NEXUS_E_LIMIT.
inline constexpr uint32_t kMaxKvCallsPerRun = 10'000;

enum class Capability { kAlways, kKv, kNetwork };

std::string_view capability_name(Capability capability);

struct NexusFunction {
  std::string_view name;
  Capability needs;
};

inline constexpr NexusFunction kNexusFunctions[] = {
    {"log", Capability::kAlways},     {"time_now", Capability::kAlways},
    {"kv_get", Capability::kKv},      {"kv_set", Capability::kKv},
    {"kv_cas", Capability::kKv},      {"kv_incr", Capability::kKv},
    {"http_get", Capability::kNetwork}, {"http_post", Capability::kNetwork},
    // Every agent may declare what it spent; budgets decide whether it may.
    {"cost_record", Capability::kAlways},
    // Linked for every module so that one module can run with or without
    // `llm: true` (a template that falls back when no model is granted); the
    // grant is checked at each call, and a call without it is NEXUS_E_DENIED
    // and a capability.denied event, as an unlisted host is for http.
    {"llm_complete", Capability::kAlways},
};

// nullptr when `name` is not part of the ABI.
const NexusFunction* find_nexus_function(std::string_view name);

// The guest-visible code for a host error.
int32_t nexus_code(Code code);

}  // namespace naos::sandbox
