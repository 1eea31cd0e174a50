#!/usr/bin/env bash
# The table of issue 14 (scale): for each size, wall time, CPU time and peak
# memory of load (`inventory`), `check`, `matrix --focus`, `trace` and `diff`
# (up to 10,000 pods) on clusters of the generator's `scale` shape, as Markdown rows.
#
#   cargo build --release -p kubereach -p kubereach-gen
#   scripts/bench/scale-table.sh [SIZE...]      # default: 1000 10000 50000 100000 150000
#
# Clusters are written under ${KUBEREACH_BENCH_ROOT:-target}/scale-SIZE and
# kept (delete them when done: 150,000 pods is 36 MB). `KUBEREACH_BIN`
# names another binary to measure. Each command runs once; the machine's
# load average is printed with each row, because a shared machine's wall
# times move with it (compare CPU time).
set -euo pipefail

cd "$(dirname "$0")/../.."
root=${KUBEREACH_BENCH_ROOT:-target}
bin=${KUBEREACH_BIN:-target/release/kubereach}
gen=target/release/kubereach-gen
for tool in "$bin" "$gen"; do
    if [ ! -x "$tool" ]; then
        echo "missing $tool: cargo build --release -p kubereach -p kubereach-gen" >&2
        exit 2
    fi
done
sizes=("$@")
if [ ${#sizes[@]} -eq 0 ]; then
    sizes=(1000 10000 50000 100000 150000)
fi

# One measured run: `| command | wall | user+sys | peak MB | load |`.
measure() {
    local label=$1
    shift
    local log
    log=$(mktemp)
    /usr/bin/time -f "%e %U %S %M" -o "$log" "$@" > /dev/null 2>&1 || true
    read -r wall user sys kb < <(tail -n 1 "$log")
    rm -f "$log"
    local load
    load=$(cut -d' ' -f1 /proc/loadavg)
    printf '| | %s | %s s | %s s | %d MB | %s |\n' \
        "$label" "$wall" "$(awk "BEGIN { printf \"%.2f\", $user + $sys }")" $((kb / 1024)) "$load"
}

echo "| pods | command | wall | CPU (user+sys) | peak RSS | load average |"
echo "|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
    dir=$root/scale-$n
    [ -d "$dir" ] || "$gen" --pods "$n" --out "$dir" > /dev/null
    printf '| %s (%s of YAML) | | | | | |\n' "$n" "$(du -sh "$dir" | cut -f1)"
    measure '`inventory` (load)' "$bin" inventory -f "$dir"
    measure '`check`' "$bin" check -f "$dir"
    measure '`matrix --focus ns0/app0`' "$bin" matrix -f "$dir" --focus ns0/app0
    measure '`trace ns0/app0 svc/ns1/app1:80`' "$bin" trace -f "$dir" ns0/app0 svc/ns1/app1:80
    # The whole workload matrix, twice: 4 million pairs at 10,000 pods,
    # 400 million at 100,000, so larger sizes are left out.
    if [ "$n" -le 10000 ]; then
        measure '`diff DIR DIR`' "$bin" diff "$dir" "$dir"
    fi
done
