/* pipeline: one data-processing step over lines of text.
 *
 * Each input line becomes "WORDS TEXT": the line trimmed, each run of spaces
 * and tabs made one space, upper-cased (ASCII), prefixed with its word count.
 * Blank lines are dropped; "\r\n" line ends are accepted. The output ends with
 * a newline when the input did, so steps chain without growing blank lines. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nexus.h"

/* Reads all of stdin; NULL when out of memory. */
static char* read_all(size_t* len) {
  size_t cap = 4096, n = 0, got;
  char* buf = malloc(cap);
  while (buf && (got = fread(buf + n, 1, cap - n, stdin)) > 0) {
    n += got;
    if (n == cap) {
      char* bigger = realloc(buf, cap *= 2);
      if (!bigger) free(buf);
      buf = bigger;
    }
  }
  *len = n;
  return buf;
}

/* Normalizes line[0..len) into out (at least len bytes); returns the number of
 * words and sets *out_len. */
static size_t transform(const char* line, size_t len, char* out, size_t* out_len) {
  size_t words = 0, n = 0;
  for (size_t i = 0; i < len;) {
    while (i < len && isspace((unsigned char)line[i])) i++;
    if (i == len) break;
    if (words > 0) out[n++] = ' ';
    while (i < len && !isspace((unsigned char)line[i])) out[n++] = (char)toupper((unsigned char)line[i++]);
    words++;
  }
  *out_len = n;
  return words;
}

int main(void) {
  size_t len;
  char* in = read_all(&len);
  char* out = malloc(len + 1);
  if (!in || !out) {
    fputs("error: out of memory\n", stderr);
    return 1;
  }
  size_t lines_in = 0, lines_out = 0;
  for (size_t start = 0; start < len;) {
    const char* nl = memchr(in + start, '\n', len - start);
    size_t end = nl ? (size_t)(nl - in) : len;
    size_t out_len;
    size_t words = transform(in + start, end - start, out, &out_len);
    lines_in++;
    if (words > 0) {
      if (lines_out++ > 0) putchar('\n');
      printf("%zu ", words);
      fwrite(out, 1, out_len, stdout);
    }
    start = end + 1;
  }
  if (lines_out > 0 && len > 0 && in[len - 1] == '\n') putchar('\n');
  char note[96];
  snprintf(note, sizeof note, "pipeline: %zu lines in, %zu out", lines_in, lines_out);
  nexus_log(NEXUS_LOG_INFO, note);
  return 0;
}
