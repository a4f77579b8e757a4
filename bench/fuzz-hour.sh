#!/usr/bin/env bash
# The fuzz targets for an hour in all (a quarter each, by default), for a
# deeper search than the 20 seconds each that scripts/test.sh gives them.
# Findings and the grown corpora stay in build-sanitize/ (scripts/fuzz.sh).
#
#   bench/fuzz-hour.sh [TOTAL_SECONDS]    # default 3600
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
total="${1:-3600}"
targets=(config_parser http_url audit_verify host_calls)
exec bash "$root/scripts/fuzz.sh" "$((total / ${#targets[@]}))" "${targets[@]}"
