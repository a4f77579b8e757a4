#!/usr/bin/env bash
# Sets up a fresh machine, builds naos, and runs a short demo in a scratch
# project: agents created from the config and from a template, agents in C
# and Go, the kv store surviving restarts, HTTP to an allowed host, hostile
# agents contained with named errors, then the registry and the audit log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# The same build as scripts/test.sh: running one after the other compiles once.
BUILD_DIR=build bash scripts/build.sh

naos="$root/build/naos"
agents="$root/build/agents"
project="$(mktemp -d /tmp/naos-demo-XXXXXX)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$project"; }
trap cleanup EXIT

# A local web server stands in for an API the agent is allowed to call.
mkdir -p "$project/site"
echo "the weather is fine" > "$project/site/weather.txt"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$project/site" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
server_pid=$!
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$port))" 2>/dev/null && break; sleep 0.1; done

cat > "$project/nexus.config.yaml" <<YAML
name: demo
execution:
  memoryLimit: 64MB
  timeout: 5s
agents:
  greeter:
    source: $agents/go-greeter.wasm
    capabilities: { kv: true }
  counter:
    source: $agents/kv-counter.wasm
    capabilities: { kv: true }
  weather:
    source: $agents/fetch.wasm
    capabilities:
      network: restricted
      allowedHosts: ["127.0.0.1:$port"]
  # One module, many behaviours chosen by the name (tests/agents/actor.c).
  ok-reserve:   { source: $agents/actor.wasm, capabilities: { kv: true } }
  ok-release:   { source: $agents/actor.wasm, capabilities: { kv: true } }
  fail-charge:  { source: $agents/actor.wasm, capabilities: { kv: true } }
  spin30-a:     { source: $agents/actor.wasm, capabilities: { kv: true } }
  spin30-b:     { source: $agents/actor.wasm, capabilities: { kv: true } }
workflows:
  hello: { steps: [ { agent: greeter }, { agent: ok-reserve } ] }
sagas:
  order:
    steps:
      - { name: reserve, agent: ok-reserve, compensate: ok-release }
      - { name: charge, agent: fail-charge }
pools:
  crunch: { members: [spin30-a, spin30-b], merge: all }
YAML

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
cd "$project"
step naos create --from-config;                   "$naos" create --from-config
step naos create bot --template echo;             "$naos" create bot --template echo
step naos build bot;                              "$naos" build bot
step naos run bot --input "hello from a template"; "$naos" run bot --input "hello from a template"; echo
step naos run greeter --input world;              "$naos" run greeter --input world
step naos run counter;                            "$naos" run counter
step naos run counter "(a new process: the count is in data/nexus.db)"; "$naos" run counter
step naos run weather --input "http://127.0.0.1:$port/weather.txt"
"$naos" run weather --input "http://127.0.0.1:$port/weather.txt"; echo
step naos run weather --input http://169.254.169.254/latest/meta-data "(not on the allow-list)"
"$naos" run weather --input http://169.254.169.254/latest/meta-data || true
for hostile in infinite_loop memory_bomb deep_recursion giant_output undeclared_import read_passwd; do
  step naos run "$hostile.wasm" --timeout 1s
  "$naos" run "$agents/$hostile.wasm" --timeout 1s || true
done
step naos run "$agents/echo.wasm" --input "still running" --json
"$naos" run "$agents/echo.wasm" --input "still running" --json
step naos workflow run hello --input world --id demo-1; "$naos" workflow run hello --input world --id demo-1
step naos workflow run hello --id demo-1 "(the same id: the first result, nothing runs)"
"$naos" workflow run hello --id demo-1
step naos saga run order --input order-7 "(charge fails: reserve is compensated)"
"$naos" saga run order --input order-7 || true
step naos pool run crunch --input go "(two CPU-bound members on two threads)"
"$naos" pool run crunch --input go
step naos runs;                                   "$naos" runs
step naos status;                                 "$naos" status
step naos audit --last 12;                        "$naos" audit --last 12
step naos audit verify;                           "$naos" audit verify
