#include "views/audit.h"

#include "base/bytes_json.h"
#include "base/clock.h"
#include "project/registry.h"

namespace naos::views {

std::string audit_detail(const governance::AuditEvent& event) {
  auto payload = nlohmann::json::parse(event.payload, nullptr, false);
  if (!payload.is_object()) return "";
  if (payload.contains("detail") && payload["detail"].is_string()) return payload["detail"];
  if (event.type == governance::event::kCapabilityDenied) {
    return bytes_field(payload, "capability") + ": " + bytes_field(payload, "detail");
  }
  if (event.type == governance::event::kAgentFailed) {
    return bytes_field(payload, "error") + ": " + bytes_field(payload, "message");
  }
  std::string text;
  for (const auto& [key, value] : payload.items()) {
    std::string shown = value.is_string() ? value.get<std::string>() : value.dump();
    if (shown.size() == 64) shown = shown.substr(0, 12);  // a hash: its prefix identifies it
    text += (text.empty() ? "" : " ") + key + "=" + shown;
  }
  return text.size() > 100 ? text.substr(0, 97) + "..." : text;
}

nlohmann::json audit_event_json(const governance::AuditEvent& e) {
  return {{"id", e.seq},
          {"timestamp", format_utc_ms(e.ts_ms)},
          {"agent_id", e.agent.empty() ? "" : project::agent_id(e.agent)},
          {"agent_name", e.agent},
          {"action", e.type},
          {"detail", audit_detail(e)},
          {"actor", e.actor},
          {"payload", nlohmann::json::parse(e.payload, nullptr, false)},
          {"hash", e.hash},
          {"prev_hash", e.prev_hash}};
}

}  // namespace naos::views
