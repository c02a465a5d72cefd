#!/usr/bin/env bash
# Soak: many authenticated, spot-subscribed WebSocket connections to a simulator process, with
# churn, while the simulator's resident memory, open descriptors and threads are sampled.
#
#   scripts/soak.sh [--connections N] [--duration SECONDS] [--churn FRACTION]
#                   [--churn-interval SECONDS] [--sample-interval SECONDS] [--no-deflate]
#                   [--release] [--skip-build]
#
# Defaults: 1000 connections for 600 s (counted from the moment all are up), a tenth of them
# reconnecting every 60 s, a sample every 10 s, permessage-deflate offered (as CTraderClient
# does; --no-deflate leaves it out), debug build (--skip-build takes the binaries
# already built, e.g. by `swift build --build-tests -Xswiftc -warnings-as-errors`). `ctrader simulator` serves; the
# `ctrader-soak` executable holds the connections. Prints the samples, memory per connection,
# the memory trend after warm-up (the sample at minute 2 against the last one before the
# connections close) and whether descriptors and threads return to their baseline after the
# close. Exits 1 when the target is missed: memory at the end more than 5% above minute 2
# (--tolerance), or descriptors or threads above baseline 60 s after the close.
# Run by hand (not in CI): it takes the whole duration. Output and samples stay in a temporary
# folder, printed at the start.
set -euo pipefail
cd "$(dirname "$0")/.."

connections=1000
duration=600
churn=0.1
churn_interval=60
sample_interval=10
tolerance=5
configuration=debug
build=true
deflate=--deflate
while [ $# -gt 0 ]; do
    case $1 in
        --connections) connections=$2; shift 2 ;;
        --duration) duration=$2; shift 2 ;;
        --churn) churn=$2; shift 2 ;;
        --churn-interval) churn_interval=$2; shift 2 ;;
        --sample-interval) sample_interval=$2; shift 2 ;;
        --tolerance) tolerance=$2; shift 2 ;;
        --release) configuration=release; shift ;;
        --skip-build) build=false; shift ;;
        --no-deflate) deflate=--no-deflate; shift ;;
        -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "soak.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

if $build; then
    swift build -c "$configuration" --product ctrader >/dev/null
    swift build -c "$configuration" --product ctrader-soak >/dev/null
fi
bin=$(swift build -c "$configuration" --show-bin-path)
work=$(mktemp -d "${TMPDIR:-/tmp}/ctrader-soak.XXXXXX")
echo "soak: $connections connections, ${duration} s, churn $churn every ${churn_interval} s, ${deflate#--}; files in $work"

simulator=""
load=""
sampler=""
cleanup() {
    for pid in $sampler $load $simulator; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

"$bin/ctrader" simulator --port 0 --json >"$work/simulator.json" 2>"$work/simulator.err" &
simulator=$!
for _ in $(seq 1 300); do
    [ -s "$work/simulator.json" ] && break
    kill -0 "$simulator" 2>/dev/null || { cat "$work/simulator.err" >&2; exit 1; }
    sleep 0.1
done
url=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["url"])' "$work/simulator.json")

# One line per sample: seconds since the start, RSS (KiB), open descriptors, threads.
sample() {
    local rss threads fds
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$simulator/status")
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$simulator/status")
    fds=$(find "/proc/$simulator/fd" -mindepth 1 -maxdepth 1 | wc -l)
    echo "$(($(date +%s) - start)) $rss $fds $threads"
}

start=$(date +%s)
sleep 2 # the simulator's first ticks
baseline=$(sample)
baseline_threads=$(cat /proc/"$simulator"/task/*/comm 2>/dev/null | sort | uniq -c | awk '{printf "%s%s x%d", sep, $2, $1; sep=", "}')
echo "$baseline" >"$work/samples"
echo "soak: simulator at $url (pid $simulator); baseline: $(echo "$baseline" | awk '{print $2 " KiB, " $3 " descriptors, " $4 " threads"}')"

(
    while sleep "$sample_interval"; do sample >>"$work/samples"; done
) &
sampler=$!

load_start=$(($(date +%s) - start))
"$bin/ctrader-soak" --url "$url" --connections "$connections" --duration "$duration" \
    --churn "$churn" --churn-interval "$churn_interval" "$deflate" >"$work/load.out" 2>"$work/load.err" &
load=$!
tail -n +1 -f --pid="$load" "$work/load.out" &
if ! wait "$load"; then
    load=""
    echo "soak: ctrader-soak failed; the end of $work/load.err:" >&2
    tail -20 "$work/load.err" >&2
    exit 1
fi
load=""
# The events with seconds since the start: "<seconds> soak <elapsed> <event> <counters>".
awk -v offset="$load_start" '{print $2 + offset, $0}' "$work/load.out" >"$work/events"
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
sampler=""

# After the close: wait (up to 60 s) for descriptors and threads to return to the baseline.
read -r _ base_rss base_fds base_threads <<<"$baseline"
for _ in $(seq 1 60); do
    after=$(sample)
    read -r _ _ fds threads <<<"$after"
    [ "$fds" -le "$base_fds" ] && [ "$threads" -le "$base_threads" ] && break
    sleep 1
done
echo "$after" >>"$work/samples"
# Which threads the simulator has now against the baseline's (names from /proc, e.g. the
# cooperative pool's, libdispatch's workers, the poller).
thread_names() { cat /proc/"$simulator"/task/*/comm 2>/dev/null | sort | uniq -c | awk '{printf "%s%s x%d", sep, $2, $1; sep=", "}'; }
echo "threads after the close: $(thread_names) (baseline: $baseline_threads)"

connected_at=$(awk '$4 == "connected" {print $1; exit}' "$work/events")
closing_at=$(awk '$4 == "closing" {print $1; exit}' "$work/events")
echo
echo "seconds-since-connected  rss-KiB  descriptors  threads"
awk -v c="$connected_at" '{printf "%6d %10d %6d %5d\n", $1 - c, $2, $3, $4}' "$work/samples"
echo
awk -v c="$connected_at" -v e="$closing_at" -v n="$connections" -v tol="$tolerance" \
    -v brss="$base_rss" -v bfds="$base_fds" -v bthr="$base_threads" -v after="$after" '
    function abs(x) { return x < 0 ? -x : x }
    # minute 2: the sample nearest 120 s after all connections were up; end: the last before closing.
    $1 >= c && $1 < e { d = abs($1 - c - 120); if (m2 == "" || d < best) { best = d; m2 = $2; m2t = $1 - c } ; endrss = $2; endt = $1 - c
        if ($3 > pfds) pfds = $3; if ($4 > pthr) pthr = $4 }
    END {
        split(after, a, " ")
        trend = (endrss - m2) * 100 / m2
        printf "baseline: %d KiB, %d descriptors, %d threads\n", brss, bfds, bthr
        printf "peak while connected: %d descriptors, %d threads\n", pfds, pthr
        printf "memory per connection (minute 2 vs baseline): %.1f KiB\n", (m2 - brss) / n
        printf "memory at minute 2 (t=%d s): %d KiB; at the end (t=%d s): %d KiB; trend %+.2f%% (target within %s%%)\n", m2t, m2, endt, endrss, trend, tol
        printf "after the close: %d KiB, %d descriptors, %d threads (baseline %d, %d)\n", a[2], a[3], a[4], bfds, bthr
        ok = abs(trend) <= tol && a[3] <= bfds && a[4] <= bthr
        print (ok ? "soak: target met" : "soak: target MISSED")
        exit (ok ? 0 : 1)
    }' "$work/samples"
