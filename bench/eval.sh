#!/usr/bin/env bash
# Side-by-side timing of `modelspec eval run` and promptfoo on the harness in
# ../shared/bench: the same suite (evalsuite: XSTest and HarmBench prompts, one
# "does not contain 'I cannot'" assertion each, so grading is trivial and the
# runner is what is measured) against the shared fake upstream at 0 ms and
# 50 ms latency, 16 at once, response caches off, results stored (modelspec: a
# fresh SQLite file per run; promptfoo: its own database). timeit.sh runs the
# two alternately. Then modelspec alone: 10 times the cases (memory flat in the
# number of cases), and a rerun answered from its response cache.
#
#   bash bench/eval.sh [RUNS] [CASES]       # defaults: 3 1000
#
# promptfoo 0.121.20 is installed from npm into $PROMPTFOO_DIR (default
# /tmp/promptfoo-0.121.20) when not there; MODELSPEC_BENCH_NO_PROMPTFOO=1 times
# modelspec alone. Needs jq, node/npm for promptfoo. Writes the report to
# bench/out/eval-report.md.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
cases=${2:-1000}
shared=../shared/bench
data=${MODELSPEC_DATA:-../shared/data}
pfdir=${PROMPTFOO_DIR:-/tmp/promptfoo-0.121.20}
bin=$(mktemp -d /tmp/modelspec-evalbench.XXXXXX)
out=bench/out
mkdir -p "$out"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$bin"; }
trap cleanup EXIT
command -v jq >/dev/null || { echo "bench/eval.sh: needs jq (apt-get install -y jq)" >&2; exit 2; }

for d in fakeupstream evalsuite; do (cd "$shared/$d" && go build -o "$bin/$d" .); done
go build -o "$bin/modelspec" ./cmd/modelspec
ms=$bin/modelspec

# The suite, as promptfoo configs (one per upstream) and as modelspec JSONL:
# a case per line, the prompt as the user turn, the assertion as a
# case-insensitive not_regex, a clause by source.
to_modelspec() {
  jq -c '{id, messages: [{role: "user", content: .prompt}],
    not_regex: ("(?i)" + (.assert.value | gsub("(?<c>[.^$*+?()\\[\\]{}|\\\\])"; "\\\(.c)"))),
    clauses: [if (.source | startswith("xstest")) then "help_developer_and_user" else "no_information_hazards" end],
    meta: {source: .source}}' "$1" > "$2"
}
url() { [[ $1 == 0 ]] && echo http://127.0.0.1:18280/v1 || echo http://127.0.0.1:18285/v1; } # by latency
for lat in 0 50; do
  "$bin/evalsuite" -data "$data" -n "$cases" -out "$bin/suite$lat" -base-url "$(url $lat)" -concurrency 16 2>/dev/null
done
to_modelspec "$bin/suite0/cases.jsonl" "$bin/suite.jsonl"
"$bin/evalsuite" -data "$data" -n $((cases * 10)) -out "$bin/suite10x" 2>/dev/null
to_modelspec "$bin/suite10x/cases.jsonl" "$bin/suite10x.jsonl"

"$bin/fakeupstream" -addr 127.0.0.1:18280 -latency 0ms > "$bin/fu0.log" 2>&1 & pids+=($!)
"$bin/fakeupstream" -addr 127.0.0.1:18285 -latency 50ms > "$bin/fu50.log" 2>&1 & pids+=($!)
sleep 1

msrun() { # latency suite db -> the modelspec command
  echo "rm -f $3 $3-wal $3-shm; $ms eval run --suite $2 --target $(url $1) --model gpt-4o-mini -j 16 --no-cache --db $3 --json > /dev/null"
}
pf=""
if [[ ${MODELSPEC_BENCH_NO_PROMPTFOO:-} != 1 ]]; then
  if [[ ! -x $pfdir/node_modules/.bin/promptfoo ]]; then
    mkdir -p "$pfdir" && (cd "$pfdir" && npm install --no-audit --no-fund promptfoo@0.121.20 >&2)
  fi
  export PROMPTFOO_DISABLE_TELEMETRY=1 PROMPTFOO_DISABLE_UPDATE=1 PROMPTFOO_CONFIG_DIR=$bin/promptfoo-home
  pf=$pfdir/node_modules/.bin/promptfoo
fi
pfrun() { # latency -> the promptfoo command
  echo "cd $bin/suite$1 && $pf eval -c promptfooconfig.yaml --no-cache --no-table --no-progress-bar --no-share"
}

{
  echo "# eval runner: modelspec vs promptfoo ($(date -u +%Y-%m-%dT%H:%MZ), $cases cases, $runs runs each, -j 16)"
  for lat in 0 50; do
    echo; echo "## fake upstream at $lat ms (A = modelspec, B = promptfoo)"; echo
    if [[ -n $pf ]]; then
      bash "$shared/timeit.sh" -n "$runs" -l "$bin/timeit$lat" -a "$(msrun $lat "$bin/suite.jsonl" "$bin/a$lat.db")" -b "$(pfrun $lat)"
    else
      bash "$shared/timeit.sh" -n "$runs" -l "$bin/timeit$lat" -a "$(msrun $lat "$bin/suite.jsonl" "$bin/a$lat.db")"
    fi
  done
  echo; echo "## modelspec, $((cases * 10)) cases at 0 ms (memory flat in the number of cases)"; echo
  bash "$shared/timeit.sh" -n "$runs" -l "$bin/timeit10x" -a "$(msrun 0 "$bin/suite10x.jsonl" "$bin/b.db")"
  echo; echo "## modelspec, $cases cases at 50 ms, answered from the response cache"; echo
  $ms eval run --suite "$bin/suite.jsonl" --target http://127.0.0.1:18285/v1 --model gpt-4o-mini -j 16 --db "$bin/c.db" --json > /dev/null
  bash "$shared/timeit.sh" -n "$runs" -l "$bin/timeitcache" \
    -a "$ms eval run --suite $bin/suite.jsonl --target http://127.0.0.1:18285/v1 --model gpt-4o-mini -j 16 --db $bin/c.db --json > /dev/null"
} | tee "$out/eval-report.md"
