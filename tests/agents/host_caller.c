/* host_caller: a hostile guest driven by its input, for the host-function
 * fuzzer (fuzz/host_calls_fuzz.cc). stdin is a script:
 *
 *   u16 arena_len, then arena_len bytes copied into `arena` (the bytes that
 *   pointers may point at), then records of 1 op byte + 9 little-endian u32
 *   arguments, until the input ends.
 *
 * An argument with its top bit clear is made "plausible": a pointer into the
 * arena, or a length below 70,000; with the top bit set it is passed raw (any
 * address, any length, out of bounds or not). Ops (op % 9): log, time_now,
 * kv_get, kv_set, http_get, http_post, cost_record (i64 from two arguments),
 * llm_complete, and WASI fd_write to fd 1 or 2 with up to 3 iovecs. The host
 * must answer each call with a code, never trap or touch memory outside the
 * guest's. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nexus.h"

NEXUS_IMPORT("cost_record") int32_t host_caller_cost_record(int64_t amount, const char* detail, uint32_t detail_len);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_write"))) int32_t host_caller_fd_write(
    int32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t nwritten);

static uint8_t script[1 << 16];
static uint8_t arena[1 << 16];

static uint32_t read_u32(const uint8_t* p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t pointer(uint32_t arg) {
  return (arg & 0x80000000u) ? arg : (uint32_t)(uintptr_t)arena + arg % sizeof arena;
}

static uint32_t length(uint32_t arg) { return (arg & 0x80000000u) ? arg : arg % 70000u; }

#define P(i) ((void*)(uintptr_t)pointer(a[i]))
#define L(i) length(a[i])

int main(void) {
  size_t n = fread(script, 1, sizeof script, stdin);
  if (n < 2) return 0;
  size_t arena_len = (size_t)script[0] | (size_t)script[1] << 8;
  if (arena_len > n - 2) arena_len = n - 2;
  memcpy(arena, script + 2, arena_len);
  for (size_t at = 2 + arena_len; at + 37 <= n; at += 37) {
    uint8_t op = script[at] % 9;
    uint32_t a[9];
    for (int i = 0; i < 9; ++i) a[i] = read_u32(script + at + 1 + 4 * i);
    switch (op) {
      case 0: nexus_log_raw((int32_t)a[0] % 6 - 1, P(1), L(2)); break;
      case 1: (void)nexus_time_now(); break;
      case 2: nexus_kv_get_raw(P(0), L(1), P(2), L(3), P(4)); break;
      case 3: nexus_kv_set_raw(P(0), L(1), P(2), L(3)); break;
      case 4: nexus_http_get_raw(P(0), L(1), P(2), L(3), P(4)); break;
      case 5: nexus_http_post_raw(P(0), L(1), P(2), L(3), P(4), L(5), P(6), L(7), P(8)); break;
      case 6: host_caller_cost_record((int64_t)((uint64_t)a[0] << 32 | a[1]), P(2), L(3)); break;
      case 7: nexus_llm_complete_raw(P(0), L(1), P(2), L(3), P(4)); break;
      case 8: host_caller_fd_write(1 + (int32_t)(a[0] & 1), pointer(a[1]), a[2] % 4, pointer(a[3])); break;
    }
  }
  return 0;
}
