// A clone pool's worker whose behaviour is chosen by each task's input (the
// actor agent chooses by its name, which all clones of a pool share):
//   "sleep:MS:TEXT"  sleep MS milliseconds, then as below
//   "fail:TEXT"      exit status 1
//   anything else    output = "done:" + input
// It imports nothing from `nexus`, so it needs no capabilities.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char input[65536];

int main(void) {
  size_t n = fread(input, 1, sizeof input - 1, stdin);
  input[n] = '\0';
  if (strncmp(input, "fail:", 5) == 0) {
    fprintf(stderr, "failing on purpose: %s\n", input + 5);
    return 1;
  }
  if (strncmp(input, "sleep:", 6) == 0) {
    long ms = atol(input + 6);
    struct timespec delay = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&delay, NULL);
  }
  printf("done:%s", input);
  return 0;
}
