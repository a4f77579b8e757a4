// The llm capability as a run sees it: which provider and key answer an
// agent's nexus.llm_complete, what the call may cost, and how the cost is
// reserved and settled (docs/abi.md "llm_complete", docs/config.md "llm").
//
// One call, in order:
//   1. parse the guest's request (capabilities/llm.h);
//   2. the provider: the one named, else `broker.llm.provider`, else the
//      first of `llm.providers` by name; the model: the one named, else
//      `broker.llm.model` when the provider is the broker's;
//   3. the API key from `${VAR}`: a `naos secret` named VAR if there is one
//      (audited secret.accessed, by name), else the host's environment;
//   4. the price from `cost.models.<model>`. A model without one is refused
//      when a budget (the agent's or `global`) applies, since the budget
//      could not be kept, and free otherwise;
//   5. reserve the most the call can cost: estimate_input_tokens() at the
//      input price plus max_tokens at the output price. A refusal is the
//      guest's NEXUS_E_LIMIT and the run's budget refusal (`refusal`), which
//      Naos::run applies when the run ends (pause, stop), as for priced http;
//   6. the call (the provider's wire protocol, no allowedHosts: the host
//      calls the configured provider only), bounded by the run's deadline
//      and cancel;
//   7. settle the actual cost from the usage the vendor reports: one ledger
//      row (source "llm", detail "MODEL: N in, N out, N cached"), one
//      cost.recorded event carrying provider, model and the three counts. A
//      failed call releases its reservation and records nothing.
// Money is integer micro-cents throughout (governance::price_tokens).
//
// Invariant: the API key goes into the request header and nowhere else; no
// error, log line, event or reply contains it (capabilities/llm.h redacts a
// vendor's echo).
//
// Ownership: everything in LlmWiring is borrowed and must outlive the
// AgentHost it is wired into (Naos::run's locals and Naos's members do).
#pragma once

#include <functional>
#include <optional>

#include "capabilities/agent_host.h"
#include "capabilities/http.h"
#include "core/naos.h"
#include "governance/audit_log.h"
#include "governance/budget.h"
#include "project/config.h"
#include "store/secret_store.h"

namespace naos {

struct LlmWiring {
  const project::Config& config;
  const capabilities::HttpClient& http;
  governance::BudgetEnforcer* budget;  // nullable: no cost is reserved or recorded
  store::SecretStore* secrets;         // nullable: keys come from the environment only
  const EnvLookup& env;
  std::function<Status(governance::AuditEventDraft)> record;  // the audit log
  // The run's first budget refusal; set here when a reservation is refused.
  std::optional<governance::BudgetRefusal>& refusal;
};

// Makes `host` answer nexus.llm_complete as described above.
void wire_llm(capabilities::AgentHost& host, LlmWiring wiring);

}  // namespace naos
