#include "views/agents.h"

#include "base/clock.h"

namespace naos::views {

std::string agent_status(const Naos::AgentView& view) {
  return view.record ? std::string(project::status_name(view.record->status)) : "not created";
}

nlohmann::json agent_json(const Naos::AgentView& view) {
  nlohmann::json out = {{"name", view.name}, {"status", agent_status(view)}, {"in_config", view.config != nullptr}};
  if (view.record) {
    const auto& r = *view.record;
    out["id"] = r.id;
    out["template"] = r.template_name;
    out["source"] = r.source;
    out["module_hash"] = r.module_hash;
    out["metadata"] = nlohmann::json::parse(r.metadata, nullptr, false);
    out["created"] = format_utc_ms(r.created_ms);
    out["updated"] = format_utc_ms(r.updated_ms);
  } else {
    out["id"] = project::agent_id(view.name);
  }
  return out;
}

Result<nlohmann::json> agent_detail_json(const Naos::AgentView& view, store::Database& audit_db) {
  nlohmann::json out = agent_json(view);
  if (view.config != nullptr) {
    const auto& c = view.config->capabilities;
    out["capabilities"] = {{"network", c.network == sandbox::NetworkAccess::kNone         ? "none"
                                       : c.network == sandbox::NetworkAccess::kRestricted ? "restricted"
                                                                                          : "open"},
                           {"allowedHosts", c.allowed_hosts},
                           {"filesystem", {{"read", c.read}, {"write", c.write}}},
                           {"env", c.env},
                           {"kv", c.kv}};
  }
  NAOS_ASSIGN_OR_RETURN(auto events, governance::query_audit(audit_db, {.agent = view.name, .last = 5}));
  out["recent_events"] = nlohmann::json::array();
  for (const auto& e : events) {
    out["recent_events"].push_back({{"id", e.seq}, {"timestamp", format_utc_ms(e.ts_ms)}, {"action", e.type}});
  }
  return out;
}

nlohmann::json stop_report_json(const StopReport& report) {
  return {{"agent", report.agent},
          {"from", project::status_name(report.from)},
          {"how", report.how == StopReport::How::kKilled     ? "killed"
                  : report.how == StopReport::How::kStopped  ? "stopped"
                  : report.how == StopReport::How::kOrphaned ? "orphaned"
                                                             : "was_not_running"},
          {"pid", report.pid},
          {"waited_ms", report.waited.count()}};
}

}  // namespace naos::views
