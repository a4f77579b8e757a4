/* cron: one tick of a scheduled task per run.
 *
 * kv "runs" holds how many ticks have run and kv "last_run_ms" when the last
 * one ran (milliseconds since the epoch, from the host's clock). Each run
 * reads both, does the work, stores the new values and prints "tick N".
 * The input "ping" is a health check: it prints "pong" and changes nothing. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nexus.h"

static int fail(const char* what, int32_t code) {
  fprintf(stderr, "error: %s: %s\n", what, nexus_strerror(code));
  return 2;
}

/* Reads a decimal counter from kv; 0 when the key is absent. */
static int32_t kv_get_u64(const char* key, uint64_t* value) {
  char buf[32];
  uint32_t len = 0;
  *value = 0;
  int32_t rc = nexus_kv_get(key, buf, sizeof buf - 1, &len);
  if (rc == NEXUS_E_NOT_FOUND) return NEXUS_OK;
  if (rc != NEXUS_OK) return rc;
  buf[len] = '\0';
  char* end;
  *value = strtoull(buf, &end, 10);
  if (len == 0 || *end != '\0') return NEXUS_E_INVALID;
  return NEXUS_OK;
}

static int32_t kv_set_u64(const char* key, uint64_t value) {
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%" PRIu64, value);
  return nexus_kv_set(key, buf, (uint32_t)n);
}

/* The task itself. Return 0 on success; anything else fails the run (and the
 * tick is not counted). */
static int do_tick(uint64_t tick) {
  (void)tick;
  return 0;
}

int main(void) {
  char input[64];
  size_t len = fread(input, 1, sizeof input - 1, stdin);
  while (len > 0 && isspace((unsigned char)input[len - 1])) len--;
  input[len] = '\0';
  if (strcmp(input, "ping") == 0) {
    fputs("pong", stdout);
    return 0;
  }

  uint64_t runs, last_ms;
  int32_t rc = kv_get_u64("runs", &runs);
  if (rc != NEXUS_OK) return fail("reading runs", rc);
  rc = kv_get_u64("last_run_ms", &last_ms);
  if (rc != NEXUS_OK) return fail("reading last_run_ms", rc);

  uint64_t tick = runs + 1;
  int64_t now = nexus_time_now();
  char line[128];
  if (runs == 0) {
    snprintf(line, sizeof line, "tick %" PRIu64 ": first run", tick);
  } else {
    snprintf(line, sizeof line, "tick %" PRIu64 ": %" PRId64 " ms since the last run", tick,
             now - (int64_t)last_ms);
  }
  nexus_log(NEXUS_LOG_INFO, line);

  if (do_tick(tick) != 0) {
    nexus_log(NEXUS_LOG_ERROR, "the task failed; this tick is not counted");
    return 1;
  }
  rc = kv_set_u64("runs", tick);
  if (rc != NEXUS_OK) return fail("storing runs", rc);
  rc = kv_set_u64("last_run_ms", (uint64_t)now);
  if (rc != NEXUS_OK) return fail("storing last_run_ms", rc);
  printf("tick %" PRIu64, tick);
  return 0;
}
