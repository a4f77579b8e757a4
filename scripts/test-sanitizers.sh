#!/usr/bin/env bash
# The whole test suite under AddressSanitizer and UndefinedBehaviorSanitizer
# (build-sanitize/, scripts/sanitize.sh), then every fuzz target for
# FUZZ_SECONDS each (default 20; scripts/fuzz.sh). scripts/test.sh runs this
# after the normal suite. Cold, the instrumented build takes about 15 minutes
# on two cores; with ccache warm, about one.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/sanitize.sh"
cd "$root"
sanitize_build
ctest --test-dir "$sanitize_build" --output-on-failure --timeout 600 -j "$(nproc)"
bash "$root/scripts/fuzz.sh" "${FUZZ_SECONDS:-20}"
