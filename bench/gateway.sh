#!/usr/bin/env bash
# Side-by-side load test of the gateway with the harness in ../shared/bench:
# direct to the fake upstream, minproxy (the floor for a Go proxy that
# decodes and re-encodes JSON), modelspec in passthrough, and modelspec with
# the full built-in spec, on generated 2 KB chat requests; then the same four
# with streamed answers (16 chunks). Targets are interleaved per repetition.
# Loopback only.
#
#   bash bench/gateway.sh [RATES] [DURATION] [REPS] [STREAM_RATES]
#   # defaults: 500,2000,c16 10s 3 500,c16   (STREAM_RATES "-" skips streaming)
#
# More full-spec targets in the same run, to see what costs what:
#   BEFORE=/path/to/modelspec   an older build, as modelspec-full-before
#   VARIANTS=1                  modelspec-full-nolog (decision_log: none),
#                               modelspec-full-brief (prompt: brief) and
#                               modelspec-full-noprompt (prompt: none)
# A peer in the same run, for the issue's "5x Portkey" target:
#   PORTKEY=/path/to/start-server.js   the Portkey gateway (npm
#       @portkey-ai/gateway; `npm install --prefix /tmp/portkey
#       @portkey-ai/gateway@1.15.2` puts it in
#       /tmp/portkey/node_modules/@portkey-ai/gateway/build/start-server.js),
#       routed to the same fake upstream with its x-portkey-* headers
#
# Writes to bench/out/: gateway-report.md and gateway-stream-report.md (the
# load driver's tables), gateway-ratios.md (each target against minproxy,
# paired by repetition: what docs/benchmarks.md quotes), and the raw runs
# as gateway-runs.jsonl and gateway-stream-runs.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
rates=${1:-500,2000,c16}
duration=${2:-10s}
reps=${3:-3}
stream_rates=${4:-500,c16}
shared=../shared/bench
bin=$(mktemp -d /tmp/modelspec-bench.XXXXXX)
out=bench/out
mkdir -p "$out"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$bin"; }
trap cleanup EXIT

for d in fakeupstream gwload minproxy; do (cd "$shared/$d" && go build -o "$bin/$d" .); done
go build -o "$bin/modelspec" ./cmd/modelspec
go build -o "$bin/gwratio" ./bench/gwratio

"$bin/fakeupstream" -addr 127.0.0.1:18080 -latency 0ms -chunks 16 -quiet > "$bin/fu.log" 2>&1 & pids+=($!); echo $! > "$bin/fu.pid"
"$bin/minproxy" -addr 127.0.0.1:18090 -upstream http://127.0.0.1:18080 > "$bin/mp.log" 2>&1 & pids+=($!); echo $! > "$bin/mp.pid"

key=bench-key-0123456789
hash=$(printf '%s\n' "$key" | "$bin/modelspec" keys hash)
gateways=()         # "name port" of each modelspec target
ports=(18080 18090) # every port to wait for
# gateway NAME PORT PASSTHROUGH DRIVER PROMPT BINARY starts one.
gateway() {
  cat > "$bin/$1.yaml" <<YAML
listen: 127.0.0.1:$2
passthrough: $3
prompt: $5
upstreams:
  - name: fake
    base_url: http://127.0.0.1:18080/v1
    max_retries: 0
apps:
  - name: bench
    key_sha256: $hash
decision_log:
  driver: $4
  path: $bin/$1.db
YAML
  "$6" serve --config "$bin/$1.yaml" > "$bin/$1.log" 2>&1 & pids+=($!); echo $! > "$bin/$1.pid"
  gateways+=("$1 $2")
  ports+=("$2")
}
gateway modelspec-passthrough 18100 true sqlite rules "$bin/modelspec"
gateway modelspec-full 18101 false sqlite rules "$bin/modelspec"
if [ -n "${BEFORE:-}" ]; then gateway modelspec-full-before 18102 false sqlite rules "$BEFORE"; fi
if [ -n "${VARIANTS:-}" ]; then
  gateway modelspec-full-nolog 18103 false none rules "$bin/modelspec"
  gateway modelspec-full-brief 18105 false sqlite brief "$bin/modelspec"
  gateway modelspec-full-noprompt 18104 false sqlite none "$bin/modelspec"
fi
if [ -n "${PORTKEY:-}" ]; then
  node "$PORTKEY" --port=18200 > "$bin/portkey.log" 2>&1 & pids+=($!); echo $! > "$bin/portkey.pid"
  ports+=(18200)
fi
for port in "${ports[@]}"; do
  for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

# targets BODY_FILE: every target, each sending the same body (the load
# driver's generated one when BODY_FILE is empty).
targets() {
  local body=""
  [ -n "$1" ] && body=", \"body_file\": \"$1\""
  printf '{"baseline": "direct", "upstream_stats": "http://127.0.0.1:18080/_fake/stats", "targets": [\n'
  printf '  {"name": "direct", "url": "http://127.0.0.1:18080/v1/chat/completions", "pid_file": "%s"%s},\n' "$bin/fu.pid" "$body"
  printf '  {"name": "minproxy", "url": "http://127.0.0.1:18090/v1/chat/completions", "pid_file": "%s"%s}' "$bin/mp.pid" "$body"
  for g in "${gateways[@]}"; do
    printf ',\n  {"name": "%s", "url": "http://127.0.0.1:%s/v1/chat/completions", "headers": {"Authorization": "Bearer %s"}, "pid_file": "%s"%s}' \
      "${g% *}" "${g#* }" "$key" "$bin/${g% *}.pid" "$body"
  done
  if [ -n "${PORTKEY:-}" ]; then
    printf ',\n  {"name": "portkey", "url": "http://127.0.0.1:18200/v1/chat/completions", "headers": {"Authorization": "Bearer sk-bench", "x-portkey-provider": "openai", "x-portkey-custom-host": "http://127.0.0.1:18080/v1"}, "pid_file": "%s"%s}' \
      "$bin/portkey.pid" "$body"
  fi
  printf '\n]}\n'
}

rm -f "$out/gateway-runs.jsonl" "$out/gateway-stream-runs.jsonl"
targets "" > "$bin/targets.json"
"$bin/gwload" -config "$bin/targets.json" -rates "$rates" -duration "$duration" -reps "$reps" -warmup 3s \
  -body-bytes 2048 -out "$out/gateway-runs.jsonl" > "$out/gateway-report.md"
cat "$out/gateway-report.md"
"$bin/gwratio" "$out/gateway-runs.jsonl" > "$out/gateway-ratios.md"

if [ "$stream_rates" != "-" ]; then
  # The load driver's request, 2,048 bytes, with "stream": true. A stream is
  # whole when it ends with [DONE] (a block or a broken stream does not).
  mk() { printf '{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Benchmark request. %s"}],"max_tokens":64,"temperature":0,"stream":true}' "$1"; }
  pad=$(( 2048 - $(mk "" | wc -c) ))
  mk "$(head -c "$pad" /dev/zero | tr '\0' x)" > "$bin/stream.json"
  targets "$bin/stream.json" > "$bin/stream-targets.json"
  "$bin/gwload" -config "$bin/stream-targets.json" -rates "$stream_rates" -duration "$duration" -reps "$reps" -warmup 3s \
    -expect '[DONE]' -out "$out/gateway-stream-runs.jsonl" > "$out/gateway-stream-report.md"
  cat "$out/gateway-stream-report.md"
  { echo; echo "## Streamed answers (16 chunks)"; echo; "$bin/gwratio" "$out/gateway-stream-runs.jsonl"; } >> "$out/gateway-ratios.md"
fi
cat "$out/gateway-ratios.md"
