#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/README.md) in build-sanitize/ (clang,
# AddressSanitizer, UndefinedBehaviorSanitizer: scripts/sanitize.sh), then
# runs each for SECONDS (default 20) from its seed corpus in
# fuzz/corpus/TARGET. Inputs that find new coverage are kept in
# build-sanitize/corpus/TARGET (the repo's seeds are not touched); a crash, a hang (-timeout) or a sanitizer report leaves its input
# in build-sanitize/findings/TARGET/ and makes the script fail.
#
#   scripts/fuzz.sh [SECONDS] [TARGET ...]     # TARGET: config_parser http_url audit_verify host_calls
#
# Prints one line per target: executions, corpus size, result.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/sanitize.sh"
cd "$root"
seconds="${1:-20}"
[ "$#" -gt 0 ] && shift
targets=("$@")
[ "${#targets[@]}" -eq 0 ] && targets=(config_parser http_url audit_verify host_calls)
build="$sanitize_build"
sanitize_build fuzz_targets

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
