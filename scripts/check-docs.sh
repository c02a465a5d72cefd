#!/usr/bin/env bash
# Builds the DocC documentation of every library target in Sources/ (swift-docc-plugin), with
# DocC's warnings as errors: a broken ``symbol`` link, a missing article or a malformed
# Docs.docc fails the check.
#
#   scripts/check-docs.sh                  every library target
#   scripts/check-docs.sh CTraderFraming   only the targets named
#
# The archives land under .build/plugins/Swift-DocC/outputs/ (one <Target>.doccarchive each).
set -euo pipefail
cd "$(dirname "$0")/.."

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    # The package's Swift library targets under Sources/ (not executables, tests or the
    # test-support target under Tests/), as SwiftPM sees them, so new modules are covered.
    mapfile -t targets < <(
        swift package describe --type json | python3 -c '
import json, sys
for target in json.load(sys.stdin)["targets"]:
    if (target.get("type") == "library" and target.get("module_type") == "SwiftTarget"
            and target.get("path", "").startswith("Sources/")):
        print(target["name"])
' | sort
    )
fi
if [ "${#targets[@]}" -eq 0 ]; then
    echo "check-docs.sh: no library targets found" >&2
    exit 1
fi

arguments=()
for target in "${targets[@]}"; do
    arguments+=(--target "$target")
done
echo "check-docs.sh: ${targets[*]}"
# One invocation for all targets: SwiftPM builds once and extracts every symbol graph.
swift package generate-documentation "${arguments[@]}" --warnings-as-errors
