#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/README.md) with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer in build-fuzz/, then runs each for SECONDS
# (default 20) from its seed corpus in fuzz/corpus/TARGET. Inputs that find
# new coverage are kept in build-fuzz/corpus/TARGET (the repo's seeds are not
# touched); a crash, a hang (-timeout) or a sanitizer report leaves its input
# in build-fuzz/findings/TARGET/ and makes the script fail.
#
#   scripts/fuzz.sh [SECONDS] [TARGET ...]     # TARGET: config_parser http_url audit_verify host_calls
#
# Prints one line per target: executions, corpus size, result.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-20}"
[ "$#" -gt 0 ] && shift
targets=("$@")
[ "${#targets[@]}" -eq 0 ] && targets=(config_parser http_url audit_verify host_calls)
build="${FUZZ_BUILD_DIR:-build-fuzz}"

[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DNAOS_FUZZ=ON -DNAOS_BUILD_TESTS=OFF -DNAOS_BUILD_BENCH=OFF \
  >/dev/null
cmake --build "$build" --target fuzz_targets

# Wasmtime turns guest faults into traps with its own signal handlers
# (SIGSEGV, SIGBUS, SIGILL, SIGFPE); neither ASan nor libFuzzer may take them.
export ASAN_OPTIONS=detect_leaks=0:handle_segv=0:handle_sigbus=0:handle_sigill=0:handle_sigfpe=0:allow_user_segv_handler=1:detect_stack_use_after_return=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
unset RUST_BACKTRACE
export RUST_LIB_BACKTRACE=0

failed=0
for target in "${targets[@]}"; do
  corpus="$build/corpus/$target" findings="$build/findings/$target" log="$build/fuzz-$target.log"
  mkdir -p "$corpus" "$findings"
  status=ok
  "$build/fuzz/${target}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
    -handle_segv=0 -handle_bus=0 -handle_ill=0 -handle_fpe=0 -print_final_stats=1 \
    -artifact_prefix="$findings/" "$corpus" "fuzz/corpus/$target" >"$log" 2>&1 || status=FOUND
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  echo "fuzz $target: ${runs:-?} executions in ${seconds}s, corpus $(ls "$corpus" | wc -l) inputs, $status"
  if [ "$status" != ok ]; then
    failed=1
    grep -m 5 -E "ERROR|SUMMARY|rule broken|Test unit written" "$log" || tail -20 "$log"
  fi
done
exit "$failed"
