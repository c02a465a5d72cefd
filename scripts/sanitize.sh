#!/usr/bin/env bash
# Runs the tests under the sanitizers:
#
#   scripts/sanitize.sh [address|thread|all] [-- EXTRA swift test ARGUMENTS]
#
# address: the whole suite under AddressSanitizer (with LeakSanitizer), built in .build-asan.
# thread:  the concurrency-heavy suites (transport, WebSocket, channel, session, simulator)
#          under ThreadSanitizer, built in .build-tsan.
# all (the default): both. Each sanitizer keeps its own scratch path, so the normal build in
# .build is untouched and each rebuild is incremental. Reports fail the run. Suppressions, each
# with its reason, are in scripts/sanitizers/ (none is needed today: an empty file documents
# that). Prints how long each build and each run took.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-all}
shift || true
[ "${1:-}" = "--" ] && shift
case $mode in
    address | thread | all) ;;
    *) echo "usage: scripts/sanitize.sh [address|thread|all] [-- swift test arguments]" >&2; exit 2 ;;
esac

suppressions=$PWD/scripts/sanitizers
# halt_on_error: the first report fails the run (TSan would otherwise go on and exit 66 at the
# end); second_deadlock_stack: both stacks of a lock-order report.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$suppressions/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
export TSAN_OPTIONS="suppressions=$suppressions/tsan.supp:halt_on_error=1:second_deadlock_stack=1:${TSAN_OPTIONS:-}"

# The suites that run threads and tasks against each other; the pure value-type suites
# (framing, messaging, CLI) gain nothing from TSan and are covered by ASan.
thread_suites='CTraderTransportTests|CTraderWebSocketTests|CTraderChannelTests|CTraderSessionTests|CTraderSimulatorTests|_CTraderLockingTests'

timed() {
    local label=$1
    shift
    local started=$SECONDS
    echo "== $label: $*"
    local status=0
    "$@" || status=$?
    echo "== $label: $((SECONDS - started)) s, exit status $status"
    return "$status"
}

run() {
    local sanitizer=$1 scratch=$2
    shift 2
    timed "build ($sanitizer)" swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch" || return
    # The CLI tests run the instrumented `ctrader` of this scratch path, never a stale one from
    # another build folder (seen: they picked up .build/debug/ctrader).
    local status=0
    export CTRADER_BINARY="$PWD/$scratch/debug/ctrader"
    timed "test ($sanitizer)" swift test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" "$@" || status=$?
    unset CTRADER_BINARY
    return "$status"
}

# `all` runs both even when the first fails, and fails if either did.
status=0
if [ "$mode" = address ] || [ "$mode" = all ]; then
    run address .build-asan "$@" || status=1
fi
if [ "$mode" = thread ] || [ "$mode" = all ]; then
    run thread .build-tsan --filter "$thread_suites" "$@" || status=1
fi
exit "$status"
