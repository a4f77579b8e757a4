// http_poster: one nexus.http_post. stdin: the URL, a tab, then the content
// type, taken byte for byte (it may hold CR, LF or NUL). Prints
// "rc=<code or HTTP status> body=<response body>".
#include <stdio.h>
#include <string.h>

#include "nexus.h"

static char input[8192];
static char reply[65536];

int main(void) {
  size_t n = fread(input, 1, sizeof input - 1, stdin);
  char* tab = memchr(input, '\t', n);
  if (tab == NULL) {
    puts("usage: URL<TAB>CONTENT-TYPE on stdin");
    return 2;
  }
  *tab = '\0';
  const char* type = tab + 1;
  uint32_t type_len = (uint32_t)(n - (size_t)(tab + 1 - input));
  uint32_t len = 0;
  int32_t rc = nexus_http_post_raw(input, (uint32_t)strlen(input), "ping", 4, type, type_len, reply,
                                   sizeof reply - 1, &len);
  reply[len < sizeof reply - 1 ? len : sizeof reply - 1] = '\0';
  printf("rc=%d body=%s\n", (int)rc, rc >= 0 ? reply : "");
  return 0;
}
