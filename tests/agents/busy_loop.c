/* busy_loop: a CPU-bound run of N iterations (stdin, default 100000000) for fuel, timeout and pool tests. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  char in[64];
  size_t n = fread(in, 1, sizeof in - 1, stdin);
  in[n] = '\0';
  char* end;
  unsigned long long iters = strtoull(in, &end, 10);
  if (end == in) iters = 100000000ULL;

  /* An LCG folded with xor: each step depends on the last, so it cannot be skipped. */
  uint64_t x = 0x9E3779B97F4A7C15ULL, acc = 0;
  for (unsigned long long i = 0; i < iters; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    acc ^= x >> 29;
  }
  printf("%" PRIu64 "\n", acc);
  return 0;
}
