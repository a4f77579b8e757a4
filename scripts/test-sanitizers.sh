#!/usr/bin/env bash
# The test suite under AddressSanitizer and UndefinedBehaviorSanitizer, in
# build-asan/. Not part of scripts/test.sh: the instrumented build takes about
# 12 minutes on two cores.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
cmake -S . -B build-asan -G Ninja -DNAOS_SANITIZE=ON -DNAOS_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan
unset RUST_BACKTRACE
export RUST_LIB_BACKTRACE=0
# Wasmtime turns guest faults into traps with its own signal handlers; ASan
# must leave SIGSEGV/SIGBUS to them. Leak checking is off: Wasmtime keeps
# process-lifetime allocations (the trap handler, the pooling allocator).
export ASAN_OPTIONS=detect_leaks=0:handle_segv=0:handle_sigbus=0:allow_user_segv_handler=1:detect_stack_use_after_return=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-asan --output-on-failure --timeout 600 -j "$(nproc)"
