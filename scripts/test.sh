#!/usr/bin/env bash
# Sets up a fresh machine and builds naos (scripts/build.sh, the same build
# demo.sh uses), then runs the whole test suite with ctest. CI runs exactly
# this.
#
#   scripts/test.sh            # build/ , all tests
#   BUILD_DIR=build-asan NAOS_SANITIZE=ON scripts/test.sh   # ASan+UBSan build
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/build.sh
build="${BUILD_DIR:-build}"

# Tests must not depend on the developer's environment.
unset RUST_BACKTRACE
export RUST_LIB_BACKTRACE=0
ctest --test-dir "$build" --output-on-failure --timeout 300 -j "$(nproc)"
