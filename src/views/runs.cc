#include "views/runs.h"

#include "base/bytes_json.h"
#include "base/clock.h"

namespace naos::views {

nlohmann::json run_json(const orchestration::RunRecord& run) {
  nlohmann::json out = {{"id", run.id},           {"kind", run.kind},
                        {"name", run.name},       {"state", run.state},
                        {"input", bytes_json(run.input)}, {"output", bytes_json(run.output)},
                        {"error", run.error},     {"started", format_utc_ms(run.created_ms)},
                        {"updated", format_utc_ms(run.updated_ms)}};
  if (!run.parent.empty()) out["parent"] = run.parent;
  if (!run.owner.empty()) out["owner_pid"] = run.owner;
  return out;
}

nlohmann::json result_json(const orchestration::RunResult& result) {
  return {{"id", result.run_id}, {"kind", result.kind},     {"name", result.name},    {"state", result.state},
          {"output", bytes_json(result.output)}, {"error", result.error}, {"reused", result.reused}};
}

nlohmann::json entry_json(const orchestration::Entry& entry) {
  return {{"seq", entry.seq},     {"step", entry.step},       {"step_name", entry.step_name},
          {"event", entry.event}, {"attempt", entry.attempt}, {"data", entry.data},
          {"timestamp", format_utc_ms(entry.ts_ms)}};
}

}  // namespace naos::views
