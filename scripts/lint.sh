#!/usr/bin/env bash
# Lints the hand-written Swift files against the committed .swift-format, strictly (a warning
# fails), with the swift-format that ships with the toolchain (`swift format`).
#
#   scripts/lint.sh          report every finding; exit non-zero if there is one
#   scripts/lint.sh --fix    reformat the same files in place first, then lint what is left
#
# Left out: the generated code under Sources/CTraderMessaging/Generated/ (it must stay
# byte-identical to what protoc and scripts/generate-catalogue.py write) and build directories.
# Some rules only lint (they cannot rewrite the code, e.g. OnlyOneTrailingClosureArgument,
# DontRepeatTypeInStaticProperties, GroupNumericLiterals): fix what --fix leaves by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

fix=false
case "${1:-}" in
    --fix) fix=true ;;
    "") ;;
    *)
        echo "usage: scripts/lint.sh [--fix]" >&2
        exit 2
        ;;
esac

# The hand-written Swift files: the manifests, Sources, Tests, Benchmarks and FuzzTesting.
files=()
while IFS= read -r -d '' file; do
    files+=("$file")
done < <(
    find Package.swift Benchmarks/Package.swift FuzzTesting/Package.swift Sources Tests Benchmarks FuzzTesting \
        \( -name '.build*' -o -path Sources/CTraderMessaging/Generated \) -prune \
        -o -name '*.swift' -type f -print0 2>/dev/null | sort -zu
)
if [ "${#files[@]}" -eq 0 ]; then
    echo "lint.sh: no Swift files found" >&2
    exit 1
fi

if $fix; then
    swift format format --configuration .swift-format --parallel --in-place "${files[@]}"
fi
if ! findings=$(swift format lint --configuration .swift-format --strict --parallel "${files[@]}" 2>&1); then
    printf '%s\n' "$findings"
    # The count by rule last, where CI's console shows the end of the log.
    echo "lint.sh: findings by rule (scripts/lint.sh --fix rewrites all but the lint-only rules):"
    printf '%s\n' "$findings" | sed -n 's/.*: error: \[\([A-Za-z]*\)\].*/\1/p' | sort | uniq -c | sort -rn
    exit 1
fi
echo "lint.sh: ${#files[@]} files clean"
