/* echo: writes its input (stdin) back to its output (stdout), byte for byte,
 * and logs how many bytes it mirrored. */
#include <stdio.h>
#include <unistd.h>

#include "nexus.h"

int main(void) {
  static char buf[65536];
  unsigned long long total = 0;
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) return 1;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(1, buf + off, (size_t)(n - off));
      if (w <= 0) return 1;
      off += w;
    }
    total += (unsigned long long)n;
  }
  char line[64];
  snprintf(line, sizeof line, "echo: %llu bytes", total);
  nexus_log(NEXUS_LOG_INFO, line);
  return 0;
}
