/* nexus.h — the naos agent SDK for C and C++ (ABI version 1, docs/abi.md).
 *
 * Header-only: include it in an agent built with `clang --target=wasm32-wasi`.
 * Every function returns NEXUS_OK (0), an HTTP status for the http calls, or a
 * negative NEXUS_E_* code. Nothing here allocates unless its name says so.
 */
#ifndef NAOS_SDK_NEXUS_H
#define NAOS_SDK_NEXUS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NEXUS_ABI_VERSION 1

enum {
  NEXUS_OK = 0,
  NEXUS_E_DENIED = -1,
  NEXUS_E_NOT_FOUND = -2,
  NEXUS_E_TOO_SMALL = -3,
  NEXUS_E_INVALID = -4,
  NEXUS_E_NETWORK = -5,
  NEXUS_E_LIMIT = -6,
  NEXUS_E_INTERNAL = -7,
  NEXUS_E_CONFLICT = -8,
};

enum { NEXUS_LOG_DEBUG = 0, NEXUS_LOG_INFO = 1, NEXUS_LOG_WARN = 2, NEXUS_LOG_ERROR = 3 };

#define NEXUS_IMPORT(name) __attribute__((import_module("nexus"), import_name(name)))

/* The raw imports, exactly as docs/abi.md lists them. */
NEXUS_IMPORT("log") int32_t nexus_log_raw(int32_t level, const char* msg, uint32_t msg_len);
NEXUS_IMPORT("time_now") int64_t nexus_time_now(void);
NEXUS_IMPORT("kv_get") int32_t nexus_kv_get_raw(const char* key, uint32_t key_len, void* out,
                                               uint32_t out_cap, uint32_t* out_len);
NEXUS_IMPORT("kv_set") int32_t nexus_kv_set_raw(const char* key, uint32_t key_len, const void* value,
                                               uint32_t value_len);
/* expected_len -1: store only if the key is absent. NEXUS_E_CONFLICT when the
 * key holds anything other than expected. */
NEXUS_IMPORT("kv_cas") int32_t nexus_kv_cas_raw(const char* key, uint32_t key_len, const void* expected,
                                               int32_t expected_len, const void* value, uint32_t value_len);
/* Adds delta to the decimal integer under key (absent = 0); the sum to *out. */
NEXUS_IMPORT("kv_incr") int32_t nexus_kv_incr_raw(const char* key, uint32_t key_len, int64_t delta, int64_t* out);
NEXUS_IMPORT("http_get") int32_t nexus_http_get_raw(const char* url, uint32_t url_len, void* out,
                                                   uint32_t out_cap, uint32_t* out_len);
NEXUS_IMPORT("http_post") int32_t nexus_http_post_raw(const char* url, uint32_t url_len, const void* body,
                                                     uint32_t body_len, const char* content_type,
                                                     uint32_t content_type_len, void* out, uint32_t out_cap,
                                                     uint32_t* out_len);
/* request: a JSON object (docs/abi.md "llm_complete"); the JSON reply, or on
 * failure {"error": {"code", "message"}}, goes to out like an http body. */
NEXUS_IMPORT("llm_complete") int32_t nexus_llm_complete_raw(const char* request, uint32_t request_len, void* out,
                                                           uint32_t out_cap, uint32_t* out_len);

/* Convenience wrappers for NUL-terminated strings. */
static inline int32_t nexus_log(int32_t level, const char* msg) {
  return nexus_log_raw(level, msg, (uint32_t)strlen(msg));
}

static inline int32_t nexus_kv_get(const char* key, void* out, uint32_t out_cap, uint32_t* out_len) {
  return nexus_kv_get_raw(key, (uint32_t)strlen(key), out, out_cap, out_len);
}

static inline int32_t nexus_kv_set(const char* key, const void* value, uint32_t value_len) {
  return nexus_kv_set_raw(key, (uint32_t)strlen(key), value, value_len);
}

/* Stores value under key only if the key holds expected (expected_len bytes;
 * expected == NULL: only if the key is absent). NEXUS_E_CONFLICT when it held
 * something else: read it again and retry. Unlike nexus_kv_get +
 * nexus_kv_set, concurrent runs of one agent lose no update. */
static inline int32_t nexus_kv_cas(const char* key, const void* expected, uint32_t expected_len, const void* value,
                                   uint32_t value_len) {
  return nexus_kv_cas_raw(key, (uint32_t)strlen(key), expected, expected ? (int32_t)expected_len : -1, value,
                          value_len);
}

/* Adds delta to the decimal integer stored under key (absent counts as 0),
 * atomically, and writes the new value to *out. NEXUS_E_INVALID when the value
 * is not a decimal integer or the sum would overflow. */
static inline int32_t nexus_kv_incr(const char* key, int64_t delta, int64_t* out) {
  return nexus_kv_incr_raw(key, (uint32_t)strlen(key), delta, out);
}

static inline int32_t nexus_http_get(const char* url, void* out, uint32_t out_cap, uint32_t* out_len) {
  return nexus_http_get_raw(url, (uint32_t)strlen(url), out, out_cap, out_len);
}

static inline int32_t nexus_http_post(const char* url, const void* body, uint32_t body_len,
                                      const char* content_type, void* out, uint32_t out_cap,
                                      uint32_t* out_len) {
  return nexus_http_post_raw(url, (uint32_t)strlen(url), body, body_len, content_type,
                             (uint32_t)strlen(content_type), out, out_cap, out_len);
}

/* Asks the project's LLM (needs `llm: true`); request is a NUL-terminated
 * JSON object such as {"model": "claude-3-haiku", "prompt": "Hi", "max_tokens": 64}.
 * Returns NEXUS_OK with the reply in out, or a negative code with the error
 * JSON in out. *out_len > out_cap means the reply was cut. */
static inline int32_t nexus_llm_complete(const char* request, void* out, uint32_t out_cap, uint32_t* out_len) {
  return nexus_llm_complete_raw(request, (uint32_t)strlen(request), out, out_cap, out_len);
}

/* The name of an error code, for messages. */
static inline const char* nexus_strerror(int32_t code) {
  switch (code) {
    case NEXUS_OK: return "ok";
    case NEXUS_E_DENIED: return "denied";
    case NEXUS_E_NOT_FOUND: return "not_found";
    case NEXUS_E_TOO_SMALL: return "too_small";
    case NEXUS_E_INVALID: return "invalid";
    case NEXUS_E_NETWORK: return "network";
    case NEXUS_E_LIMIT: return "limit";
    case NEXUS_E_INTERNAL: return "internal";
    case NEXUS_E_CONFLICT: return "conflict";
    default: return code > 0 ? "ok" : "unknown";
  }
}

#ifdef __cplusplus
}
#endif

#endif /* NAOS_SDK_NEXUS_H */
