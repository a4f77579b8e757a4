// bytes_guest: hands naos's host functions bytes that are not UTF-8 and
// prints what each call returned, so tests see the codes (docs/abi.md: keys
// and URLs are UTF-8 text, anything else is NEXUS_E_INVALID, -4). Needs
// `kv: true` and a network grant (it imports kv and http).
// Behaviour by agent name (argv[0]), first dash-separated word:
//   badkey   kv_set and kv_get under the key "k\xff"; prints "set=RC get=RC"
//            and then kv_set "ok" (a UTF-8 key) as "ok=RC"
//   badurl   http_get of the input with "\xff" appended; prints "get=RC"
//   badcost  cost_record(1 cent) with the detail "caf\xe9 \xff"; prints "cost=RC"
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nexus.h"

NEXUS_IMPORT("cost_record") int32_t cost_record_raw(int64_t amount_microcents, const char* detail, uint32_t len);

static char input[4096];

int main(int argc, char** argv) {
  const char* name = argc > 0 ? argv[0] : "bytes_guest";
  size_t n = fread(input, 1, sizeof input - 2, stdin);
  input[n] = '\0';
  char out[256];
  uint32_t len = 0;
  if (strncmp(name, "badkey", 6) == 0) {
    const char key[] = "k\xff";
    int set = nexus_kv_set_raw(key, 2, "v", 1);
    int get = nexus_kv_get_raw(key, 2, out, sizeof out, &len);
    int fine = nexus_kv_set("ok", "v", 1);
    printf("set=%d get=%d ok=%d", set, get, fine);
    return 0;
  }
  if (strncmp(name, "badurl", 6) == 0) {
    input[n] = '\xff';
    int get = nexus_http_get_raw(input, (uint32_t)n + 1, out, sizeof out, &len);
    printf("get=%d", get);
    return 0;
  }
  if (strncmp(name, "badcost", 7) == 0) {
    const char detail[] = "caf\xe9 \xff";
    printf("cost=%d", cost_record_raw(1000000, detail, (uint32_t)strlen(detail)));
    return 0;
  }
  printf("unknown behaviour %s", name);
  return 1;
}
