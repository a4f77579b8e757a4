// Files users arrive with: the reference's documented nexus.config.yaml
// variants (reference/nexus-docs.md section 4), verbatim, for the tests of
// the documented forms (src/project/config_forms_test.cc, tests/cli_config_test.cc).
#pragma once

namespace naos::testing {

// Variant A (4.1): the README's file.
inline constexpr const char* kReadmeConfig = R"yaml(name: my-project
execution: { type: wasm, memoryLimit: 256MB }
supervisor: { strategy: one-for-one, maxRestarts: 3 }
cost: { budget: "$100/day", alertAt: 80, action: pause }
trust: { provider: axis, requirements: { minTrustTier: T3, minTScore: 70 } }
broker: { enabled: true, routing: { preferSkill: true, llmAsLastResort: true } }
skills: [ { name: summarize, handler: ./skills/summarize.wasm, patterns: [summarize, summary, tldr] } ]
edge: { provider: cloudflare, regions: [us, eu, asia] }
agents:
  researcher: { source: ./agents/researcher.wasm, cost: { budget: "$10/day" } }
  analyzer:   { source: ./agents/analyzer.wasm,   cost: { budget: "$5/day" } }
)yaml";

}  // namespace naos::testing
