/* kv-counter: proves kv_get/kv_set persist an agent's state from one run to the next. */
#include <stdio.h>
#include <stdlib.h>

#include "nexus.h"

static int fail(int32_t code) {
  fprintf(stderr, "error: %s\n", nexus_strerror(code));
  return 2;
}

int main(void) {
  char buf[32];
  uint32_t len = 0;
  unsigned long long count = 0;
  int32_t rc = nexus_kv_get("count", buf, sizeof buf - 1, &len);
  if (rc == NEXUS_OK) {
    buf[len] = '\0';
    char* end;
    count = strtoull(buf, &end, 10);
    if (len == 0 || *end != '\0') {
      fprintf(stderr, "error: stored count '%s' is not a number\n", buf);
      return 2;
    }
  } else if (rc != NEXUS_E_NOT_FOUND) {
    return fail(rc);
  }
  count++;
  int n = snprintf(buf, sizeof buf, "%llu", count);
  rc = nexus_kv_set("count", buf, (uint32_t)n);
  if (rc != NEXUS_OK) return fail(rc);
  printf("%llu\n", count);
  return 0;
}
