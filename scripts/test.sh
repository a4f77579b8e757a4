#!/usr/bin/env bash
# Sets up a fresh machine and builds naos (scripts/build.sh, the same build
# demo.sh uses), runs the whole test suite with ctest, then the suite again
# under AddressSanitizer and UndefinedBehaviorSanitizer and every fuzz target
# for a short while (scripts/test-sanitizers.sh). CI runs exactly this.
#
#   scripts/test.sh                      # everything
#   NAOS_TEST_QUICK=1 scripts/test.sh    # the normal suite only
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/build.sh
build="${BUILD_DIR:-build}"

# Tests must not depend on the developer's environment.
unset RUST_BACKTRACE
export RUST_LIB_BACKTRACE=0
ctest --test-dir "$build" --output-on-failure --timeout 300 -j "$(nproc)"
[ "${NAOS_TEST_QUICK:-}" = 1 ] && exit 0
bash scripts/test-sanitizers.sh
