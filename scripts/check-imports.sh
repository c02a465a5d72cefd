#!/usr/bin/env bash
# Fails when a target imports another target of this package without declaring it in its
# `dependencies` in Package.swift (even if a declared dependency brings the module along).
#
# SwiftPM's own `--explicit-target-dependency-import-check error` (which CI also passes to the
# build) checks the same thing, but on Linux with Swift 6.3 its import prescan gives up
# silently and it reports nothing, so this script reads the imports itself.
set -euo pipefail
cd "$(dirname "$0")/.."

swift package describe --type json | python3 -c '
import json, os, re, sys

package = json.load(sys.stdin)
targets = package["targets"]
module_of = {t["name"]: t.get("c99name", t["name"]) for t in targets}
package_modules = set(module_of.values())
# `import X`, `@testable import X`, `@_exported public import X`, `import struct X.Y`, …
import_line = re.compile(
    r"^\s*(?:@[A-Za-z_]+(?:\([^)]*\))?\s+)*"
    r"(?:(?:public|package|internal|fileprivate|private)\s+)?"
    r"import\s+(?:(?:typealias|struct|class|enum|protocol|let|var|func)\s+)?"
    r"([A-Za-z_][A-Za-z0-9_]*)")
problems = 0
for target in targets:
    if target.get("module_type") != "SwiftTarget":
        continue
    name = target["name"]
    declared = {module_of.get(d, d) for d in target.get("target_dependencies", [])}
    declared.add(module_of[name])
    for source in target.get("sources", []):
        path = os.path.join(target["path"], source)
        with open(path, encoding="utf-8") as file:
            for number, line in enumerate(file, 1):
                match = import_line.match(line)
                if match and match.group(1) in package_modules and match.group(1) not in declared:
                    print(f"{path}:{number}: error: target {name} imports another target "
                          f"({match.group(1)}) of the package without declaring it a dependency")
                    problems += 1
if problems:
    sys.exit(1)
print(f"check-imports.sh: every import of a package target is declared ({len(targets)} targets)")
'
