#!/usr/bin/env bash
# Side-by-side load test of the gateway with the harness in ../shared/bench:
# direct to the fake upstream, minproxy (the floor for a Go proxy that
# decodes and re-encodes JSON), modelspec in passthrough, and modelspec with
# the full built-in spec, on generated 2 KB chat requests. Loopback only.
#
#   bash bench/gateway.sh [RATES] [DURATION] [REPS]     # defaults: 500,2000,c16 10s 3
#
# Writes the markdown report to bench/out/gateway-report.md and the raw
# runs to bench/out/gateway-runs.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
rates=${1:-500,2000,c16}
duration=${2:-10s}
reps=${3:-3}
shared=../shared/bench
bin=$(mktemp -d /tmp/modelspec-bench.XXXXXX)
out=bench/out
mkdir -p "$out"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$bin"; }
trap cleanup EXIT

for d in fakeupstream gwload minproxy; do (cd "$shared/$d" && go build -o "$bin/$d" .); done
go build -o "$bin/modelspec" ./cmd/modelspec

"$bin/fakeupstream" -addr 127.0.0.1:18080 -latency 0ms > "$bin/fu.log" 2>&1 & pids+=($!); echo $! > "$bin/fu.pid"
"$bin/minproxy" -addr 127.0.0.1:18090 -upstream http://127.0.0.1:18080 > "$bin/mp.log" 2>&1 & pids+=($!); echo $! > "$bin/mp.pid"

key=bench-key-0123456789
hash=$(printf '%s\n' "$key" | "$bin/modelspec" keys hash)
for mode in passthrough full; do
  port=18100; [ "$mode" = full ] && port=18101
  cat > "$bin/$mode.yaml" <<YAML
listen: 127.0.0.1:$port
passthrough: $([ "$mode" = passthrough ] && echo true || echo false)
upstreams:
  - name: fake
    base_url: http://127.0.0.1:18080/v1
    max_retries: 0
apps:
  - name: bench
    key_sha256: $hash
decision_log:
  driver: sqlite
  path: $bin/$mode.db
YAML
  "$bin/modelspec" serve --config "$bin/$mode.yaml" > "$bin/$mode.log" 2>&1 & pids+=($!); echo $! > "$bin/$mode.pid"
done
sleep 2

cat > "$bin/targets.json" <<JSON
{"baseline": "direct", "targets": [
  {"name": "direct", "url": "http://127.0.0.1:18080/v1/chat/completions", "pid_file": "$bin/fu.pid"},
  {"name": "minproxy", "url": "http://127.0.0.1:18090/v1/chat/completions", "pid_file": "$bin/mp.pid"},
  {"name": "modelspec-passthrough", "url": "http://127.0.0.1:18100/v1/chat/completions", "headers": {"Authorization": "Bearer $key"}, "pid_file": "$bin/passthrough.pid"},
  {"name": "modelspec-full", "url": "http://127.0.0.1:18101/v1/chat/completions", "headers": {"Authorization": "Bearer $key"}, "pid_file": "$bin/full.pid"}
]}
JSON
"$bin/gwload" -config "$bin/targets.json" -rates "$rates" -duration "$duration" -reps "$reps" -warmup 3s \
  -body-bytes 2048 -out "$out/gateway-runs.jsonl" > "$out/gateway-report.md"
cat "$out/gateway-report.md"
