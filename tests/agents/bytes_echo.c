// bytes_echo: stdin to stdout, byte for byte, so tests can prove that
// arbitrary bytes (0xFF, NUL, 100,000 random bytes) pass through naos
// unchanged. Imports nothing from `nexus`, so it runs with no grants.
// Behaviour by agent name (argv[0]), first dash-separated word:
//   ff      the input, then the byte 0xFF (output that is never UTF-8)
//   failff  writes 0xFF and the input to stderr, then exits 1
//   anything else: the input as it is
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  const char* name = argc > 0 ? argv[0] : "echo";
  size_t size = 0, cap = 1 << 16;
  char* data = malloc(cap);
  if (!data) return 2;
  size_t n;
  while ((n = fread(data + size, 1, cap - size, stdin)) > 0) {
    size += n;
    if (size == cap) {
      cap *= 2;
      data = realloc(data, cap);
      if (!data) return 2;
    }
  }
  if (strncmp(name, "failff", 6) == 0) {
    fputs("failing with \xff: ", stderr);
    fwrite(data, 1, size, stderr);
    fputs("\n", stderr);
    return 1;
  }
  fwrite(data, 1, size, stdout);
  if (strncmp(name, "ff", 2) == 0) fputc(0xFF, stdout);
  return 0;
}
