// Calls nexus.llm_complete once with its input as the request JSON and
// prints "rc=<code> len=<reply length>" and a newline, then the reply (or the
// error JSON). The input "twice:<json>" makes the same call two times, each
// printed as above (for cost accumulation within one run).
#include <stdio.h>
#include <string.h>

#include "nexus.h"

static char input[65536];
static char reply[1 << 20];

static void call(const char* request) {
  uint32_t len = 0;
  int32_t rc = nexus_llm_complete(request, reply, sizeof reply, &len);
  printf("rc=%d len=%u\n", (int)rc, (unsigned)len);
  fwrite(reply, 1, len < sizeof reply ? len : sizeof reply, stdout);
  printf("\n");
}

int main(void) {
  size_t n = fread(input, 1, sizeof input - 1, stdin);
  input[n] = 0;
  if (strncmp(input, "twice:", 6) == 0) {
    call(input + 6);
    call(input + 6);
  } else {
    call(input);
  }
  return 0;
}
