// Proves that sleeping (WASI poll_oneoff on a clock) cannot outlive the run's
// timeout. stdin: milliseconds to sleep (default 30000). Prints "woke".
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(void) {
  char buffer[32] = {0};
  long ms = fgets(buffer, sizeof buffer, stdin) ? atol(buffer) : 0;
  if (ms <= 0) ms = 30000;
  struct timespec delay = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&delay, NULL);
  puts("woke");
  return 0;
}
