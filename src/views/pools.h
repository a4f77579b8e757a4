// Pools as `naos pool ... --json` prints them and /api/v1/pools answers them.
#pragma once

#include <nlohmann/json.hpp>

#include "core/pools.h"

namespace naos::views {

// One member's or task's item of a pool run: name, agent, state, attempts,
// worker, task, output (bytes_json, when completed), error and message (when
// it did not complete), started, ended, elapsed_ms.
nlohmann::json pool_item_json(const orchestration::PoolItem& item);

// `naos pool status NAME --json`: name, kind, state, size, config_size,
// owner; members (fan-out) or agent, tasks and workers (clone); last_run.
nlohmann::json pool_status_json(const PoolStatus& status);

}  // namespace naos::views
