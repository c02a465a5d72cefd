#!/usr/bin/env bash
# Regenerates Sources/CTraderMessaging/Generated/ from the cTrader Open API definitions in Protos/.
#
#   scripts/generate-protos.sh           regenerate the committed files in place
#   scripts/generate-protos.sh --check   regenerate into a temporary folder and diff against the
#                                        committed files; exits 1 on any difference
#
# Two steps, both byte for byte reproducible:
#   1. protoc (apt `protobuf-compiler`) with swift-protobuf's protoc-gen-swift 1.39.0, the version
#      Package.swift pins, writes one `.pb.swift` per `.proto` (public types, `public import`s).
#   2. scripts/generate-catalogue.py reads the same `.proto` files and writes Catalogue.swift: the
#      named PayloadType values, the message type of every payloadType, the proto2 `required`
#      fields of every message (swift-protobuf's JSON decoder does not name a missing one), the
#      account-scoped, symbol-scoped and trading-request conformances, and the named ErrorCodes.
#
# protoc-gen-swift is taken from $PROTOC_GEN_SWIFT, else from .build-protoc-gen-swift/, else from
# PATH, provided it reports version 1.39.0; otherwise it is built from the resolved swift-protobuf
# checkout into .build-protoc-gen-swift/ (about one minute on two cores). In --check mode a
# missing protoc, python3 or a plugin that cannot be built within $PROTOC_GEN_SWIFT_BUILD_TIMEOUT
# seconds (default 300) skips the check with a message instead of failing CI.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly plugin_version="1.39.0"
readonly proto_dir="Protos"
readonly out_dir="Sources/CTraderMessaging/Generated"
readonly scratch=".build-protoc-gen-swift"

check=0
case "${1:-}" in
    --check) check=1 ;;
    "") ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

# In --check mode a missing tool skips the check; when regenerating it is an error.
unavailable() {
    if [ "$check" -eq 1 ]; then
        echo "generate-protos: skipping the check: $*" >&2
        exit 0
    fi
    echo "generate-protos: $*" >&2
    exit 1
}

command -v protoc >/dev/null 2>&1 || unavailable "protoc not found (apt-get install protobuf-compiler)"
command -v python3 >/dev/null 2>&1 || unavailable "python3 not found"

plugin_ok() { [ -x "$1" ] && [ "$("$1" --version 2>/dev/null)" = "protoc-gen-swift $plugin_version" ]; }

plugin=""
for candidate in "${PROTOC_GEN_SWIFT:-}" "$scratch/debug/protoc-gen-swift" "$(command -v protoc-gen-swift || true)"; do
    if [ -n "$candidate" ] && plugin_ok "$candidate"; then plugin="$candidate"; break; fi
done
if [ -z "$plugin" ]; then
    checkout=".build/checkouts/swift-protobuf"
    if [ "$(git -C "$checkout" describe --tags 2>/dev/null || true)" != "$plugin_version" ]; then
        echo "generate-protos: swift package resolve" >&2
        swift package resolve >&2 || unavailable "swift package resolve failed"
    fi
    [ "$(git -C "$checkout" describe --tags 2>/dev/null || true)" = "$plugin_version" ] \
        || unavailable "swift-protobuf $plugin_version is not the resolved version in $checkout"
    echo "generate-protos: building protoc-gen-swift $plugin_version into $scratch" >&2
    timeout "${PROTOC_GEN_SWIFT_BUILD_TIMEOUT:-300}" \
        swift build --package-path "$checkout" --scratch-path "$scratch" --product protoc-gen-swift >&2 \
        || unavailable "protoc-gen-swift $plugin_version could not be built in time"
    plugin="$scratch/debug/protoc-gen-swift"
    plugin_ok "$plugin" || unavailable "the built $plugin does not report version $plugin_version"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Sorted so that the order never depends on the file system.
protos=()
while IFS= read -r f; do protos+=("$f"); done < <(cd "$proto_dir" && ls -1 *.proto | LC_ALL=C sort)

protoc \
    --plugin=protoc-gen-swift="$plugin" \
    --swift_out="$tmp" \
    --swift_opt=Visibility=Public \
    --swift_opt=UseAccessLevelOnImports=true \
    -I "$proto_dir" \
    "${protos[@]}"
python3 scripts/generate-catalogue.py "$proto_dir" "$tmp" > "$tmp/Catalogue.swift"

if [ "$check" -eq 1 ]; then
    if diff -r "$tmp" "$out_dir" >/dev/null; then
        echo "generate-protos: $out_dir is up to date"
        exit 0
    fi
    diff -ru "$out_dir" "$tmp" | head -50 >&2 || true
    echo "generate-protos: $out_dir differs from what the .proto files generate; run scripts/generate-protos.sh" >&2
    exit 1
fi

mkdir -p "$out_dir"
rm -f "$out_dir"/*.swift
cp "$tmp"/*.swift "$out_dir"/
echo "generate-protos: wrote $(ls "$tmp" | wc -l) files to $out_dir"
