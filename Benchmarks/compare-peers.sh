#!/usr/bin/env bash
# swift-ctrader benchmarks: the end-to-end echo workload, ours against Python peers.
#
#   ./compare-peers.sh [SECONDS]        (default 5 seconds per run)
#
# For each workload (200 B messages with 1, 16 and 64 in flight, one 1 MiB message; permessage-deflate
# off and on) it runs client and server of the same implementation on loopback, each in its own
# process:
#   - ours:       .build/release/ws-bench-client against .build/release/ws-echo-server
#   - websockets: Peers/bench_client.py against Peers/echo_server.py (Python `websockets` 17.4)
#   - picows:     the same scripts with `picows` 2.3.1 (no permessage-deflate: "n/a")
# and prints each figure (round trips per second, p50 round-trip time) and ours / theirs.
# Python peers live in Benchmarks/.venv, created here on first use (pip from PyPI).
# Every message of a workload is the same bytes for every implementation (--write-payloads).
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_RUN="${1:-5}"
PORT_BASE="${PORT_BASE:-19300}"

swift build -c release --scratch-path .build/e2e --product ws-bench-client >/dev/null
swift build -c release --scratch-path .build/e2e --product ws-echo-server >/dev/null
BIN="$(swift build -c release --scratch-path .build/e2e --show-bin-path)"

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet picows==2.3.1 websockets==17.4
fi
PY=.venv/bin/python

PAYLOADS="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$PAYLOADS"
}
trap cleanup EXIT
"$BIN/ws-bench-client" --write-payloads "$PAYLOADS"

port=$PORT_BASE
# start_server COMMAND...: starts an echo server on $port and waits until it listens.
start_server() {
    "$@" >/dev/null 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "server $* did not start" >&2
    return 1
}
stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    port=$((port + 1))
}

# run IMPL KIND DEFLATE WINDOW: prints the client's JSON line, or nothing when not applicable.
run() {
    local impl=$1 kind=$2 deflate=$3 window=$4 flag=""
    [ "$deflate" = on ] && flag="--deflate"
    case $impl in
        ours)
            start_server "$BIN/ws-echo-server" "$port" $flag
            "$BIN/ws-bench-client" "ws://127.0.0.1:$port/" "$kind" "$deflate" "$SECONDS_PER_RUN" "$window" --payloads "$PAYLOADS" || true
            ;;
        websockets|picows)
            if [ "$impl" = picows ] && [ "$deflate" = on ]; then return 0; fi
            start_server "$PY" Peers/echo_server.py "$impl" "$port" $flag
            "$PY" Peers/bench_client.py "$impl" "ws://127.0.0.1:$port/" "$kind" "$deflate" "$SECONDS_PER_RUN" "$window" --payloads "$PAYLOADS" || true
            ;;
    esac
    stop_server
}

RESULTS="$(mktemp)"
for workload in "small 1" "small 16" "small 64" "large 1"; do
    set -- $workload
    for deflate in off on; do
        for impl in ours websockets picows; do
            run "$impl" "$1" "$deflate" "$2" | sed "s/^{/{\"window\":$2,/" >>"$RESULTS"
        done
    done
done

"$PY" - "$RESULTS" <<'PYEOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
index = {(r["impl"], r["kind"], r["deflate"], r["window"]): r for r in rows}
print(f"{'workload':<22} {'ours msg/s':>11} {'p50 µs':>8} | {'websockets':>11} {'p50 µs':>8} {'ratio':>6} | {'picows':>11} {'p50 µs':>8} {'ratio':>6}")
for kind, window in (("small", 1), ("small", 16), ("small", 64), ("large", 1)):
    for deflate in ("off", "on"):
        ours = index.get(("swift-ctrader", kind, deflate, window))
        line = f"{kind} w={window} deflate={deflate:<3}"
        line = f"{line:<22} "
        line += f"{ours['msgs_per_s']:>11.0f} {ours['rtt_us_p50']:>8.0f} |" if ours else f"{'failed':>20} |"
        for impl in ("websockets", "picows"):
            peer = index.get((impl, kind, deflate, window))
            if peer and ours:
                line += f" {peer['msgs_per_s']:>11.0f} {peer['rtt_us_p50']:>8.0f} {ours['msgs_per_s'] / peer['msgs_per_s']:>5.2f}x |"
            else:
                line += f" {'n/a':>11} {'':>8} {'':>6} |"
        print(line.rstrip(" |"))
print("ratio = ours / theirs in round trips per second (higher is better for us)")
PYEOF
echo
echo "raw results:"
cat "$RESULTS"
rm -f "$RESULTS"
