#include "views/trust.h"

#include "base/clock.h"

namespace naos::views {

namespace gov = governance;

nlohmann::json registration_json(const axis::Registration& r) {
  return {{"agent", r.agent}, {"auid", r.auid}, {"module_hash", r.module_hash}, {"trust", gov::to_json(r.report)}};
}

nlohmann::json verification_json(const axis::Verification& v) {
  return {{"agent", v.agent},
          {"passed", v.passed},
          {"total", v.total},
          {"failures", v.failures},
          {"trust", gov::to_json(v.report)}};
}

nlohmann::json standing_json(const axis::Standing& s) {
  nlohmann::json out = gov::to_json(s.report);
  out["may_run"] = !s.refused.has_value();
  out["gated_capabilities"] = s.gated_capabilities;
  return out;
}

nlohmann::json directory_entry_json(const axis::DirectoryEntry& e) {
  return {{"auid", e.auid},
          {"agent", e.agent},
          {"template", e.template_name},
          {"description", e.description},
          {"module_hash", e.module_hash},
          {"registered", format_utc_ms(e.registered_ms)},
          {"tier", std::string(gov::tier_name(e.report.tier))},
          {"t_score", e.report.t_score},
          {"rating", std::string(gov::rating_name(e.report.rating))}};
}

}  // namespace naos::views
