# Sourced by scripts/test-sanitizers.sh and scripts/fuzz.sh: one instrumented
# build serves both. build-sanitize/ is naos compiled by clang under
# AddressSanitizer and UndefinedBehaviorSanitizer, with libFuzzer's coverage
# in every object (-DNAOS_FUZZ=ON), at -O1 with line tables only: about half
# the compile time of a full debug build, and stack traces still name lines.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sanitize_build="${SANITIZE_BUILD_DIR:-$root/build-sanitize}"

# Configures (once) and builds the given targets (all when none) in
# build-sanitize/.
sanitize_build() {
  bash "$root/scripts/setup.sh"
  [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
  if [ ! -f "$sanitize_build/build.ninja" ]; then
    local flags="-O1 -gline-tables-only -DNDEBUG"
    CC=clang CXX=clang++ cmake -S "$root" -B "$sanitize_build" -G Ninja -DNAOS_SANITIZE=ON -DNAOS_FUZZ=ON \
      -DNAOS_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_FLAGS_RELWITHDEBINFO="$flags" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$flags" >/dev/null
  fi
  cmake --build "$sanitize_build" ${1:+--target "$@"}
}

# Wasmtime turns guest faults into traps with its own signal handlers
# (SIGSEGV, SIGBUS, SIGILL, SIGFPE): neither ASan nor libFuzzer may take them.
# Leak checking is off: Wasmtime keeps process-lifetime allocations (the trap
# handler, the pooling allocator).
export ASAN_OPTIONS=detect_leaks=0:handle_segv=0:handle_sigbus=0:handle_sigill=0:handle_sigfpe=0:allow_user_segv_handler=1:detect_stack_use_after_return=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
unset RUST_BACKTRACE
export RUST_LIB_BACKTRACE=0
