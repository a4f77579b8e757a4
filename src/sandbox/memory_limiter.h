// naos_store_memory_limiter — naos's one addition to Wasmtime's C API
// (deps/wasmtime/src/memory_limiter.rs): the store's memory limiter, like
// wasmtime_store_limiter(store, memory_bytes, -1, -1, -1, -1), that also
// records when it refuses a grow, so a run that then fails is classified
// memory_limit_exceeded however far below the limit its memory stopped.
//
// `*refused` becomes true at the first grow refused for `memory_bytes` (a
// grow past the memory's own declared maximum is not recorded: that limit is
// the module's). `refused` must stay valid until the store is deleted, and is
// written by the thread running the store.
#pragma once

#include <cstdint>

#include <wasmtime.h>

extern "C" void naos_store_memory_limiter(wasmtime_store_t* store, uint64_t memory_bytes, bool* refused);
