#!/usr/bin/env bash
# Time to first render of the `kubereach serve` page on a generated cluster
# (docs/benchmarks.md, "kubereach serve"). Needs what scripts/setup/browser.sh
# installs. Usage: scripts/bench/serve-first-render.sh [PODS] [RUNS]
# KUBEREACH_BENCH_PROFILE=dev uses the debug build (the time measured is the
# browser's; the server only sends the graph it computed at start).
set -euo pipefail
cd "$(dirname "$0")/../.."
pods=${1:-5000}
runs=${2:-5}
dir=$(mktemp -d)
server=""
trap 'kill "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT
profile=${KUBEREACH_BENCH_PROFILE:-release}
cargo build --profile "$profile" --quiet -p kubereach -p kubereach-gen --bin kubereach --bin kubereach-gen
bin=target/$([ "$profile" = dev ] && echo debug || echo "$profile")
"$bin"/kubereach-gen --shape realistic --pods "$pods" --policies $((pods / 5)) --namespaces $((pods / 50)) --out "$dir/cluster" >/dev/null
start=$(date +%s.%N)
"$bin"/kubereach serve -f "$dir/cluster" --listen 127.0.0.1:0 >"$dir/out" 2>"$dir/err" &
server=$!
for _ in $(seq 6000); do
  grep -q 'http://' "$dir/out" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$dir/err" >&2; exit 1; }
  sleep 0.1
done
grep -q 'http://' "$dir/out" || { echo "the server printed no URL in 10 minutes" >&2; exit 1; }
ready=$(date +%s.%N)
url=$(grep -o 'http://[^ ]*' "$dir/out")
echo "$pods pods: server ready (load, matrix, graph) in $(awk "BEGIN { printf \"%.2f\", $ready - $start }") s"
(cd crates/serve/tests/browser && node first-render.mjs "$url" "$runs")
