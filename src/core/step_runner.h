// NaosStepRunner — the StepRunner orchestration uses in production: every
// step is a Naos::run instance run, so it goes through the registry
// lifecycle, budgets, trust gates and the audit log like any other run.
#pragma once

#include "orchestration/step_runner.h"

namespace naos {

class Naos;

class NaosStepRunner final : public orchestration::StepRunner {
 public:
  explicit NaosStepRunner(Naos& naos) : naos_(naos) {}
  orchestration::StepResult run(const orchestration::StepCall& call) override;

 private:
  Naos& naos_;
};

}  // namespace naos
