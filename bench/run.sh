#!/usr/bin/env bash
# Builds and runs every naos benchmark (see bench/README.md).
#
#   bench/run.sh [BUILD_DIR] [-- ARGS...]
#
# BUILD_DIR defaults to build/ at the repository root and must already be
# configured (cmake -S . -B build -G Ninja). ARGS after `--` go to every
# benchmark, e.g. `bench/run.sh build -- --json`. Exits non-zero if a build or
# a benchmark fails (a missed target is not a failure: benchmarks report it).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${root}/build"
if [[ $# -gt 0 && "$1" != "--" ]]; then
  build="$1"
  shift
fi
if [[ $# -gt 0 && "$1" == "--" ]]; then
  shift
fi
if [[ ! -f "${build}/CMakeCache.txt" ]]; then
  echo "bench/run.sh: ${build} is not a configured build directory (run: cmake -S . -B build -G Ninja)" >&2
  exit 2
fi

benchmarks=(bench_instantiate bench_audit_append bench_workflow_steps bench_pool_speedup bench_budget_reserve
  bench_concurrent_runs bench_compile_bounded)

cmake --build "${build}" --target "${benchmarks[@]}"
for bench in "${benchmarks[@]}"; do
  echo "== ${bench}"
  "${build}/bench/${bench}" "$@"
done
# Restart latency runs beside Erlang/OTP, from its own script (needs erlang-base).
if command -v escript >/dev/null 2>&1; then
  echo "== restart_latency"
  "${root}/bench/restart_latency.sh" "${build}"
else
  echo "== restart_latency: skipped (apt-get install -y erlang-base for the OTP peer)"
fi
