// Ctrl-C and SIGTERM, for every command. main() installs one handler before
// any command runs. The first signal only sets a flag (all a handler may
// safely do): every run of this process has it as a cancel flag
// (Naos::set_interrupt, given by open_naos), so a run ends `stopped` with
// its agent.stopped event, a workflow or saga stops between steps and stays
// resumable, a daemon or a supervisor tree shuts down; then the command
// exits, with 128 + the signal's number (130, 143) when a run was cut short.
// A second signal ends naos at once (the default action), for a command that
// does not stop.
#pragma once

#include <atomic>

namespace naos::cli {

// Installs the handlers for SIGINT and SIGTERM (with SA_RESTART: a system
// call is not failed by the first signal).
void install_interrupt_handlers();
// True from the first SIGINT or SIGTERM on.
const std::atomic<bool>& interrupt_flag();
bool interrupted();
// 128 + the number of the signal that interrupted naos (130 SIGINT, 143
// SIGTERM); 130 when none did.
int interrupt_exit_status();

}  // namespace naos::cli
