/* fetch: proves http_get/http_post work within the network grant and fail cleanly outside it.
 * stdin: "URL" (GET) or "POST URL BODY..." (body = everything after the one
 * whitespace character that follows the URL, sent as text/plain). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nexus.h"

enum { OUT_CAP = 1 << 20 };

static char* read_stdin(size_t* len) {
  size_t cap = 4096, n = 0;
  char* buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, stdin)) > 0) {
    n += got;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  *len = n;
  return buf;
}

int main(void) {
  size_t len;
  char* in = read_stdin(&len);
  char* out = malloc(OUT_CAP);
  if (!in || !out) return 1;

  int post = len >= 5 && memcmp(in, "POST ", 5) == 0;
  size_t i = post ? 5 : 0;
  while (i < len && isspace((unsigned char)in[i])) i++;
  size_t url = i;
  while (i < len && !isspace((unsigned char)in[i])) i++;
  size_t url_len = i - url;
  if (i < len) i++; /* the separator */

  uint32_t out_len = 0;
  int32_t rc;
  if (post) {
    const char* ct = "text/plain";
    rc = nexus_http_post_raw(in + url, (uint32_t)url_len, in + i, (uint32_t)(len - i), ct,
                             (uint32_t)strlen(ct), out, OUT_CAP, &out_len);
  } else {
    rc = nexus_http_get_raw(in + url, (uint32_t)url_len, out, OUT_CAP, &out_len);
  }
  if (rc < 0) {
    printf("error: %s\n", nexus_strerror(rc));
    return 2;
  }
  if (out_len > OUT_CAP) {
    nexus_log(NEXUS_LOG_WARN, "fetch: response body truncated to 1 MiB");
    out_len = OUT_CAP;
  }
  printf("status %d\n", (int)rc);
  fwrite(out, 1, out_len, stdout);
  return 0;
}
