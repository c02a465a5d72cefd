#!/usr/bin/env bash
# Builds the libFuzzer targets of FuzzTesting/ (-sanitize=fuzzer,address, release) and runs one
# target or all of them for a while.
#
#   scripts/fuzz.sh                    every target, 30 seconds each (.ci/run passes 25)
#   scripts/fuzz.sh FuzzFrames 600     one target for ten minutes
#   scripts/fuzz.sh all 60             every target, one minute each
#   scripts/fuzz.sh --list             the targets
#
# Each run reads the committed seeds in FuzzTesting/Corpora/<target>/ and writes what it
# finds to FuzzTesting/.corpus/<target>/ (kept between runs, not committed); a crash, leak or
# timeout writes its input to FuzzTesting/crashes/ and fails the script. Reproduce one with
#   FuzzTesting/.build/release/<target> FuzzTesting/crashes/<file>
# Environment: FUZZ_SKIP_BUILD=1 skips the build (another run built it); FUZZ_ARGS adds
# libFuzzer options (e.g. FUZZ_ARGS=-jobs=2).
set -euo pipefail
cd "$(dirname "$0")/../FuzzTesting"

targets=(
    FuzzFrames
    FuzzFramesDeflate
    FuzzInflater
    FuzzDeflateRoundTrip
    FuzzHandshakeResponse
    FuzzHandshakeRequest
    FuzzJSONEnvelope
    FuzzBinaryEnvelope
    FuzzSpotEventDifferential
)

case "${1:-all}" in
    --list)
        printf '%s\n' "${targets[@]}"
        exit 0
        ;;
    all) selected=("${targets[@]}") ;;
    *)
        if [[ " ${targets[*]} " != *" $1 "* ]]; then
            echo "unknown target $1; the targets: ${targets[*]}" >&2
            exit 2
        fi
        selected=("$1")
        ;;
esac
seconds=${2:-30}

if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ]; then
    echo "== building FuzzTesting (release, -sanitize=fuzzer,address)"
    # -parse-as-library: each target's one file defines LLVMFuzzerTestOneInput, not main
    # (libFuzzer brings main).
    swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
fi
bin=$(swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --show-bin-path)

mkdir -p crashes
failed=()
for target in "${selected[@]}"; do
    mkdir -p ".corpus/$target"
    echo "== $target for ${seconds} s"
    # The first corpus directory receives the new inputs; the committed seeds are only read.
    # -timeout: an input that takes 10 s is a hang. -rss_limit_mb: libFuzzer's default.
    status=0
    # shellcheck disable=SC2086 # FUZZ_ARGS is split into options on purpose.
    "$bin/$target" \
        -max_total_time="$seconds" \
        -timeout=10 \
        -rss_limit_mb=2048 \
        -print_final_stats=1 \
        -artifact_prefix="crashes/$target-" \
        ${FUZZ_ARGS:-} \
        ".corpus/$target" "Corpora/$target" >".corpus/$target.log" 2>&1 || status=$?
    grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::(number_of_executed_units|peak_rss_mb)|Done [0-9]+ runs)' ".corpus/$target.log" || true
    if [ "$status" -ne 0 ]; then
        failed+=("$target")
        echo "$target FAILED (status $status); the end of FuzzTesting/.corpus/$target.log:"
        tail -n 60 ".corpus/$target.log"
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz targets that failed: ${failed[*]}"
    exit 1
fi
echo "every fuzz target ran ${seconds} s without a finding"
