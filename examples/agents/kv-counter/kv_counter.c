/* kv-counter: counts its runs in its kv store and prints the new count.
 *
 * Many runs of it may go at once (a pool, a cron job and a shell loop on one
 * project), so it never reads the count and writes it back, which would lose
 * updates (two runs read 4, both write 5). nexus_kv_incr adds one in the host,
 * atomically. nexus_kv_cas with expected == NULL writes "first_run" only if
 * no run wrote it before: whichever run was first keeps its time. */
#include <inttypes.h>
#include <stdio.h>

#include "nexus.h"

static int fail(const char* what, int32_t code) {
  fprintf(stderr, "error: %s: %s\n", what, nexus_strerror(code));
  return 2;
}

int main(void) {
  char now[24];
  int n = snprintf(now, sizeof now, "%" PRId64, nexus_time_now());
  int32_t rc = nexus_kv_cas("first_run", NULL, 0, now, (uint32_t)n);
  if (rc != NEXUS_OK && rc != NEXUS_E_CONFLICT) return fail("kv_cas first_run", rc);

  int64_t count = 0;
  rc = nexus_kv_incr("count", 1, &count);
  if (rc != NEXUS_OK) return fail("kv_incr count", rc);
  printf("%" PRId64 "\n", count);
  return 0;
}
