// One module, many behaviours: what it does is chosen by its agent name
// (argv[0], the name in nexus.config.yaml), so orchestration tests can
// declare `fail-charge`, `flaky2-fetch`, `worker-a` ... all with
// `source: actor.wasm` and get real agents that succeed, fail or loop.
//
// Every use needs `kv: true` (it imports kv_get/kv_set). The name's first
// dash-separated word picks the behaviour:
//   ok        (or anything unknown) output = input + ">" + name
//   fail      exit status 1
//   trap      a wasm trap (unreachable)
//   flakyN    fail the first N runs, then behave as ok; counts in kv "runs"
//             (needs kv: true)
//   slowMS    sleep MS milliseconds, then ok
//   worker    loop forever, sleeping 10 ms at a time (a long-running child)
//   crashMS   run MS milliseconds, then exit status 1
//   spinN     N million rounds of integer work, then ok with the checksum
//   key       output = NAOS_IDEMPOTENCY_KEY (or "none")
//   count     ok, and counts its runs in kv "runs"; output "N" (needs kv)
//   json      output = {"from": name, "input": input} as JSON text
//   gate      wait until the file /gate/open exists, then ok (needs
//             filesystem: { read: [gate] }): a step that runs exactly as
//             long as a test wants, whatever the machine's speed
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nexus.h"

static char input[65536];

static void sleep_ms(long ms) {
  struct timespec delay = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&delay, NULL);
}

static long number_after(const char* name, const char* word) {
  return atol(name + strlen(word));
}

static long bump_runs(void) {
  char buffer[32] = {0};
  uint32_t len = 0;
  long runs = 0;
  if (nexus_kv_get("runs", buffer, sizeof buffer - 1, &len) == NEXUS_OK) {
    buffer[len] = '\0';
    runs = atol(buffer);
  }
  runs += 1;
  snprintf(buffer, sizeof buffer, "%ld", runs);
  nexus_kv_set("runs", buffer, (uint32_t)strlen(buffer));
  return runs;
}

int main(int argc, char** argv) {
  const char* name = argc > 0 ? argv[0] : "actor";
  size_t n = fread(input, 1, sizeof input - 1, stdin);
  input[n] = '\0';
  char word[32] = {0};
  size_t w = strcspn(name, "-");
  memcpy(word, name, w < sizeof word - 1 ? w : sizeof word - 1);

  if (strcmp(word, "fail") == 0) {
    fprintf(stderr, "%s: failing on purpose\n", name);
    return 1;
  }
  if (strcmp(word, "trap") == 0) __builtin_trap();
  if (strncmp(word, "flaky", 5) == 0) {
    long runs = bump_runs();
    if (runs <= number_after(word, "flaky")) {
      fprintf(stderr, "%s: run %ld fails\n", name, runs);
      return 1;
    }
  }
  if (strncmp(word, "slow", 4) == 0) sleep_ms(number_after(word, "slow"));
  if (strcmp(word, "gate") == 0) {
    FILE* open_file;
    while ((open_file = fopen("/gate/open", "r")) == NULL) sleep_ms(10);
    fclose(open_file);
  }
  if (strcmp(word, "worker") == 0) {
    for (;;) sleep_ms(10);
  }
  if (strncmp(word, "crash", 5) == 0) {
    sleep_ms(number_after(word, "crash"));
    fprintf(stderr, "%s: crashing\n", name);
    return 1;
  }
  if (strncmp(word, "spin", 4) == 0) {
    uint64_t rounds = (uint64_t)number_after(word, "spin") * 1000000u, x = 88172645463325252ull;
    for (uint64_t i = 0; i < rounds; ++i) x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    printf("%llu", (unsigned long long)(x % 1000));
    return 0;
  }
  if (strcmp(word, "key") == 0) {
    const char* key = getenv("NAOS_IDEMPOTENCY_KEY");
    fputs(key ? key : "none", stdout);
    return 0;
  }
  if (strcmp(word, "count") == 0) {
    printf("%ld", bump_runs());
    return 0;
  }
  if (strcmp(word, "json") == 0) {
    printf("{\"from\":\"%s\",\"input\":\"", name);
    for (const char* c = input; *c; ++c) {
      if (*c == '"' || *c == '\\') putchar('\\');
      if ((unsigned char)*c >= 0x20) putchar(*c);
    }
    fputs("\"}", stdout);
    return 0;
  }
  printf("%s>%s", input, name);
  return 0;
}
