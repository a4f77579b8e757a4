/* logger: proves stderr lines and nexus_log at every level both reach the agent's log. */
#include <stdio.h>

#include "nexus.h"

int main(void) {
  fprintf(stderr, "line 1\nline 2\nline 3\n");
  nexus_log(NEXUS_LOG_DEBUG, "level debug");
  nexus_log(NEXUS_LOG_INFO, "level info");
  nexus_log(NEXUS_LOG_WARN, "level warn");
  nexus_log(NEXUS_LOG_ERROR, "level error");
  puts("logged");
  return 0;
}
