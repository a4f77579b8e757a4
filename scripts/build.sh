#!/usr/bin/env bash
# The one build behind both README commands: sets up a fresh machine
# (scripts/setup.sh) and builds naos in build/ with warnings as errors.
# demo.sh and test.sh both come through here with the same flags, so the
# second command a new user runs reuses the first one's build instead of
# recompiling everything.
#
#   scripts/build.sh                                   # build/
#   BUILD_DIR=build-asan NAOS_SANITIZE=ON scripts/build.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/setup.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

build="${BUILD_DIR:-build}"
cmake -S . -B "$build" -G Ninja -DNAOS_WERROR=ON -DNAOS_SANITIZE="${NAOS_SANITIZE:-OFF}" >/dev/null
cmake --build "$build"
