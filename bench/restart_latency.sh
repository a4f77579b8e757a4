#!/usr/bin/env bash
# Restart latency of a naos supervisor next to an Erlang/OTP supervisor, the
# same loop on both sides: one child that crashes immediately on every start,
# one_for_one, timed from the crash to the restarted child running
# (bench/restart_latency.cc and bench/restart_latency.escript say exactly
# what is timed). Target: naos p50 within 2x of OTP's.
#
#   bench/restart_latency.sh [BUILD_DIR] [-- --restarts N [--full]]
#
# BUILD_DIR defaults to build/ and must be configured (cmake -S . -B build -G
# Ninja). Needs Erlang/OTP (Debian: apt-get install -y erlang-base). Prints
# both results and PASS or FAIL; exits 0 either way, non-zero only when a
# side cannot run.
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
restarts=200
naos_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --restarts) restarts="$2"; shift 2 ;;
    *) naos_args+=("$1"); shift ;;
  esac
done

if ! command -v escript >/dev/null 2>&1; then
  echo "restart_latency.sh: the OTP side needs Erlang/OTP; install it with: apt-get install -y erlang-base" >&2
  exit 2
fi
if [[ ! -f "${build}/CMakeCache.txt" ]]; then
  echo "restart_latency.sh: ${build} is not a configured build directory (cmake -S . -B build -G Ninja)" >&2
  exit 2
fi
cmake --build "${build}" --target bench_restart_latency >/dev/null

echo "== naos (orchestration::Supervisor, a fresh sandbox instance per restart; agent: ${naos_args[0]:-crasher.wasm})"
naos_out="$("${build}/bench/bench_restart_latency" --restarts "${restarts}" "${naos_args[@]}")"
echo "${naos_out}" | grep -v '^RESULT'
echo "== Erlang/OTP (supervisor one_for_one, a gen_server child)"
otp_out="$(escript "${root}/bench/restart_latency.escript" "${restarts}")"
echo "${otp_out}" | grep -v '^RESULT'

field() {  # field RESULT-LINE NAME
  echo "$1" | grep '^RESULT' | tr ' ' '\n' | sed -n "s/^$2=//p"
}
naos_p50="$(field "${naos_out}" p50_us)"; naos_p99="$(field "${naos_out}" p99_us)"
otp_p50="$(field "${otp_out}" p50_us)"; otp_p99="$(field "${otp_out}" p99_us)"
awk -v np50="${naos_p50}" -v np99="${naos_p99}" -v op50="${otp_p50}" -v op99="${otp_p99}" 'BEGIN {
  printf "== restart latency, crash -> child running again\n"
  printf "   %-8s p50 %9.1f us   p99 %9.1f us\n", "naos", np50, np99
  printf "   %-8s p50 %9.1f us   p99 %9.1f us\n", "OTP", op50, op99
  ratio = np50 / op50
  printf "   naos / OTP: p50 %.2fx, p99 %.2fx\n", ratio, np99 / op99
  if (ratio <= 2.0) {
    printf "PASS: naos p50 is within 2x of OTP (%.2fx)\n", ratio
  } else {
    printf "FAIL: naos p50 is %.2fx OTP (target: within 2x)\n", ratio
  }
}'
