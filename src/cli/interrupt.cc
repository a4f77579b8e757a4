#include "cli/interrupt.h"

#include <signal.h>

namespace naos::cli {
namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signal{0};

extern "C" void on_interrupt(int signal_number) {
  if (g_interrupted.load()) {
    // The second one: the user means it. The default action ends naos now.
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);
    return;
  }
  g_signal.store(signal_number);
  g_interrupted.store(true);
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

const std::atomic<bool>& interrupt_flag() { return g_interrupted; }

bool interrupted() { return g_interrupted.load(); }

int interrupt_exit_status() {
  int number = g_signal.load();
  return 128 + (number == 0 ? SIGINT : number);
}

}  // namespace naos::cli
