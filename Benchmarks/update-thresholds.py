#!/usr/bin/env python3
"""Writes Thresholds/<swift-version>/<Suite>.<Name>.p90.json from one run's JMH export.

    python3 update-thresholds.py Results/Current_run.jmh.json 6.3

Only the deterministic metric is kept: mallocCountTotal, its p90 per sample (the unit
`swift package benchmark thresholds check` compares), plus 4 and 1% of slack for the harness's
own allocations, which vary by a few per sample. Only our own benchmarks get a threshold;
the baselines (NIO, Foundation, zlib, memcpy) are not ours to gate. Equivalent to
`swift package --allow-writing-to-package-directory benchmark thresholds update --metric
mallocCountTotal --path Thresholds/<version>/` restricted to our benchmarks.
"""

import json
import os
import sys

BASELINE_PREFIXES = ("NIO.", "Foundation.", "Zlib.", "Memcpy.")


def main() -> None:
    path, version = sys.argv[1], sys.argv[2]
    target_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Thresholds", version)
    os.makedirs(target_dir, exist_ok=True)
    written = 0
    for element in json.load(open(path)):
        target, name = element["benchmark"].removeprefix("package.benchmark.").split(".", 1)
        if name.startswith(BASELINE_PREFIXES):
            continue
        mallocs = element["secondaryMetrics"].get("Malloc (total)")
        if not mallocs:
            continue
        # Slack for the harness: it allocates 16 to 20 times per sample on its own, so the
        # count moves by a few between runs. One allocation more per operation moves a kilo
        # benchmark by 1000, far past it.
        measured = int(mallocs["scorePercentiles"]["90.0"])
        value = measured + 4 + measured // 100
        with open(os.path.join(target_dir, f"{target}.{name}.p90.json"), "w") as f:
            json.dump({"mallocCountTotal": value}, f, indent=2, sort_keys=True)
            f.write("\n")
        written += 1
    print(f"wrote {written} threshold files to {target_dir}")


if __name__ == "__main__":
    main()
