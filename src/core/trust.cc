// Naos: AXIS trust as it governs runs (governance/trust.h, docs/trust.md).

#include <set>

#include "core/naos.h"
#include "governance/trust.h"

namespace naos {
namespace {

std::set<std::string> granted_capabilities(const project::CapabilitiesConfig& c) {
  std::set<std::string> out;
  if (c.network != sandbox::NetworkAccess::kNone) out.insert("network");
  if (!c.read.empty() || !c.write.empty()) out.insert("filesystem");
  if (!c.env.empty()) out.insert("env");
  if (c.kv) out.insert("kv");
  if (c.llm) out.insert("llm");
  return out;
}

governance::TrustPolicy policy_from(const project::TrustConfig& c) {
  // The enums are numbered alike; governance/trust_test.cc checks it.
  governance::TrustPolicy policy;
  if (c.minimum_tier) policy.minimum_tier = static_cast<governance::Tier>(*c.minimum_tier);
  if (c.min_credit_rating) policy.min_credit_rating = static_cast<governance::Rating>(*c.min_credit_rating);
  if (c.min_t_score) policy.min_t_score = static_cast<int>(*c.min_t_score);
  for (const auto& [capability, tier] : c.capability_tiers) {
    policy.capability_tiers[capability] = static_cast<governance::Tier>(tier);
  }
  return policy;
}

// Takes a capability named by trust away from the grants a run gets.
void revoke(sandbox::Grants& grants, const std::string& capability) {
  if (capability == "network") grants.network = sandbox::NetworkAccess::kNone, grants.allowed_hosts.clear();
  if (capability == "filesystem") grants.preopens.clear();
  if (capability == "env") grants.env.clear();
  if (capability == "kv") grants.kv = false;
  if (capability == "llm") grants.llm = false;
}

}  // namespace

Result<governance::TrustReport> Naos::trust_report(const std::string& agent, const std::string& module_hash) {
  NAOS_TRY(require_project());
  governance::TrustInputs inputs;
  inputs.current_module_hash = module_hash;
  if (auto found = project_->config().agents.find(agent); found != project_->config().agents.end()) {
    inputs.granted = granted_capabilities(found->second.capabilities);
    inputs.declared_tests = static_cast<int>(found->second.tests.size());
  }
  NAOS_ASSIGN_OR_RETURN(auto events, governance::query_audit(*database_, {.agent = agent}));
  return governance::compute_trust(agent, events, inputs, clock_.now_ms());
}

Status Naos::apply_trust(const std::string& agent, const std::string& module_hash, const RunOptions& options,
                         sandbox::Grants& grants) {
  if (!project_) return ok();
  const auto& trust = project_->config().trust;
  bool configured = trust.minimum_tier || trust.min_credit_rating || trust.min_t_score || !trust.capability_tiers.empty();
  if (!configured && !options.pool_gate && !options.verify_trust) return ok();
  // One report for every gate: it reads the agent's whole audit history.
  NAOS_ASSIGN_OR_RETURN(auto report, trust_report(agent, module_hash));
  const std::string& actor = options.actor;
  if (options.verify_trust) {
    for (const auto& criterion : report.criteria) {
      if (criterion.name != "signature" || criterion.points == criterion.max) continue;
      return Error(Code::kUnauthenticated,
                   "module " + module_hash.substr(0, 12) + " cannot be verified: " + criterion.detail +
                       " (naos axis register " + agent + " registers the module as it is now)",
                   agent);
    }
  }
  if (configured) {
    auto policy = policy_from(trust);
    // `naos axis verify` runs the agent's tests to earn trust back; it is not gated.
    if (actor != "axis") NAOS_TRY(governance::check_run_gate(policy, report));
    for (const auto& capability : trust_gated(agent, report)) {
      revoke(grants, capability);
      NAOS_TRY(record({actor, agent, governance::event::kCapabilityDenied,
                       {{"capability", capability},
                        {"reason", "trust"},
                        {"detail", "tier " + std::string(governance::tier_name(report.tier)) + " may not use " +
                                       capability}}}));
    }
  }
  if (!options.pool_gate) return ok();
  const orchestration::PoolGate& gate = *options.pool_gate;
  // Same numbering as project::TrustTier; T1 is best, so a larger number is worse.
  auto minimum = static_cast<governance::Tier>(gate.min_tier);
  if (static_cast<int>(report.tier) <= static_cast<int>(minimum)) return ok();
  std::string detail = "tier " + std::string(governance::tier_name(report.tier)) + " is below pool " + gate.pool +
                       "'s minTier " + std::string(governance::tier_name(minimum));
  NAOS_TRY(record({actor, agent, governance::event::kCapabilityDenied,
                   {{"capability", "pool:" + gate.pool}, {"reason", "trust"}, {"detail", detail}}}));
  return Error(Code::kPermissionDenied, detail + " (naos axis status " + agent + ")", agent);
}

governance::TrustPolicy Naos::trust_policy() const {
  return project_ ? policy_from(project_->config().trust) : governance::TrustPolicy{};
}

std::vector<std::string> Naos::trust_gated(const std::string& agent, const governance::TrustReport& report) const {
  if (!project_) return {};
  std::set<std::string> granted;
  if (auto found = project_->config().agents.find(agent); found != project_->config().agents.end()) {
    granted = granted_capabilities(found->second.capabilities);
  }
  return governance::gated_capabilities(trust_policy(), report, granted);
}

}  // namespace naos
