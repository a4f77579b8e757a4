#!/usr/bin/env bash
# Installs everything naos needs to build and test on a fresh Debian 12 machine:
# the C++ toolchain and libraries from Debian, the wasm32-wasi toolchain for the
# example agents, and Rust (for Wasmtime's C API). Safe to run again.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ccache
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libsqlite3-dev sqlite3 libcurl4-openssl-dev libsodium-dev libssl-dev
  libcpp-httplib-dev libhowardhinnant-date-dev tzdata libgtest-dev libgmock-dev libbenchmark-dev
  clang lld wasi-libc libclang-rt-14-dev-wasm32 libclang-rt-14-dev wabt
  python3
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
fi
command -v cargo >/dev/null 2>&1 || { echo "setup: cargo not found; install Rust (rustup) first" >&2; exit 1; }
# Go agents need GOOS=wasip1 (Go 1.21+); Debian 12's golang-go is 1.19, so the
# machine's own Go toolchain is used.
command -v go >/dev/null 2>&1 || { echo "setup: go not found; Go 1.21 or newer is needed for wasip1 agents" >&2; exit 1; }
echo "setup: ok"
