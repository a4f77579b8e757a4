#include "views/pools.h"

#include "base/bytes_json.h"
#include "base/clock.h"

namespace naos::views {

nlohmann::json pool_item_json(const orchestration::PoolItem& item) {
  nlohmann::json out = {{"name", item.name},
                        {"agent", item.agent},
                        {"state", std::string(orchestration::item_state_name(item.state))},
                        {"attempts", item.attempts},
                        {"worker", item.worker}};
  if (item.task_id > 0) out["task"] = item.task_id;
  if (item.state == orchestration::ItemState::kCompleted) out["output"] = bytes_json(item.output);
  if (!item.error.empty() && item.state != orchestration::ItemState::kCompleted) {
    out["error"] = item.error;
    out["message"] = item.message;
  }
  if (item.started_ms > 0) out["started"] = format_utc_ms(item.started_ms);
  if (item.ended_ms > 0) {
    out["ended"] = format_utc_ms(item.ended_ms);
    out["elapsed_ms"] = item.ended_ms - item.started_ms;
  }
  return out;
}

nlohmann::json pool_status_json(const PoolStatus& s) {
  nlohmann::json out = {{"name", s.name}, {"kind", s.kind}, {"state", s.state}, {"size", s.size},
                        {"config_size", s.config_size}};
  if (!s.owner.empty()) out["owner"] = s.owner;
  if (s.kind == "fan-out") {
    out["members"] = s.members;
  } else {
    out["agent"] = s.agent;
    out["tasks"] = {{"queued", s.tasks.queued},
                    {"running", s.tasks.running},
                    {"completed", s.tasks.completed},
                    {"failed", s.tasks.failed},
                    {"cancelled", s.tasks.cancelled}};
    out["workers"] = s.busy_workers;
  }
  if (s.last_run) {
    out["last_run"] = {{"id", s.last_run->id},
                       {"state", s.last_run->state},
                       {"started", format_utc_ms(s.last_run->created_ms)},
                       {"updated", format_utc_ms(s.last_run->updated_ms)}};
    if (!s.last_run->error.empty()) out["last_run"]["error"] = s.last_run->error;
  } else {
    out["last_run"] = nullptr;
  }
  return out;
}

}  // namespace naos::views
