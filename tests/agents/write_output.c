/* write_output: proves a read-write /outputs grant lets an agent create a file there. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  const char* path = "/outputs/result.txt";
  FILE* out = fopen(path, "wb");
  if (!out) {
    printf("error: %s: %s\n", path, strerror(errno));
    return 1;
  }
  char buf[4096];
  size_t n, total = 0;
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
    if (fwrite(buf, 1, n, out) != n) {
      printf("error: write: %s\n", strerror(errno));
      fclose(out);
      return 1;
    }
    total += n;
  }
  if (fclose(out) != 0) {
    printf("error: close: %s\n", strerror(errno));
    return 1;
  }
  printf("wrote %zu bytes\n", total);
  return 0;
}
