#!/usr/bin/env python3
"""Prints the ratios the benchmarks exist to show, from one run's JMH export.

    swift package --allow-writing-to-package-directory benchmark --no-progress \
        --format jmh --path Results/      # writes Results/Current_run.jmh.json
    python3 ratios.py Results/Current_run.jmh.json [more.jmh.json …]

Every ratio compares two benchmarks of the same run (same machine, same load), on the median
(p50) wall clock time; mallocs are per operation. Instructions are not counted: this machine
does not allow perf events (see README.md).
"""

import json
import sys

PERCENTILE = "0.0"  # the fastest sample: the one least disturbed by other processes
SIZES = {"16B": 16, "200B": 200, "4KiB": 4 << 10, "64KiB": 64 << 10, "1MiB": 1 << 20}


def scale(name: str) -> int:
    """Operations per sample: the suites' Benchmark.Configuration.scaling(forBytes:)."""
    for size, count in SIZES.items():
        if name.endswith("." + size) or ("." + size + ".") in name:
            return 1000 if count <= 4096 else 1
    if name.startswith(("Envelope.", "Envelope.Foundation.")) and not name.endswith("symbols1000"):
        return 1000
    if name.endswith("PipelineOverhead"):
        return 1000
    return 1


def load(paths):
    results = {}
    for path in paths:
        for element in json.load(open(path)):
            name = element["benchmark"].removeprefix("package.benchmark.")
            metrics = element["secondaryMetrics"]
            wall = metrics["Time (wall clock)"]["scorePercentiles"][PERCENTILE] * 1000  # ns per sample
            mallocs = metrics.get("Malloc (total)", {}).get("scorePercentiles", {}).get("50.0", 0)
            n = scale(name)
            results[name] = {"ns": wall / n, "mallocs": mallocs / n}
    return results


def fmt_ns(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def main() -> None:
    r = load(sys.argv[1:])
    out = []

    if any(k.startswith("Framing.") for k in r):
        out.append("## Frame decode and encode vs NIOWebSocket (fastest sample, per message; ratio = NIO / ours, target ≥ 4x)")
        out.append("| benchmark | ours | mallocs | NIO | NIO mallocs | ratio |")
        out.append("|---|---:|---:|---:|---:|---:|")
        for op in ("Decode", "Encode"):
            for role in ("client", "server"):
                for size in SIZES:
                    for frag in ("x1", "x16"):
                        key = f"{op}.{role}.{size}.{frag}"
                        ours, nio = r.get(f"Framing.{key}"), r.get(f"Framing.NIO.{key}")
                        if ours and nio:
                            out.append(f"| {key} | {fmt_ns(ours['ns'])} | {ours['mallocs']:.2f} | {fmt_ns(nio['ns'])} "
                                       f"| {nio['mallocs']:.2f} | {nio['ns'] / ours['ns']:.1f}x |")
        overhead = r.get("Framing.NIO.PipelineOverhead")
        if overhead:
            out.append(f"\nNIO's EmbeddedChannel alone (write one buffer in, read it out): {fmt_ns(overhead['ns'])} per message.")
        out.append("")

    if any(k.startswith("Masking.") for k in r):
        out.append("## Masking (fastest sample; GB/s = 10^9 bytes per second)")
        out.append("| size | ours | ours GB/s | memcpy GB/s | ours / memcpy time | NIO GB/s | NIO / ours time |")
        out.append("|---|---:|---:|---:|---:|---:|---:|")
        for size, count in SIZES.items():
            ours, cpy, nio = (r.get(f"Masking.{p}.{size}") for p in ("Mask", "Memcpy", "NIO.Mask"))
            if ours and cpy and nio:
                out.append(f"| {size} | {fmt_ns(ours['ns'])} | {count / ours['ns']:.1f} | {count / cpy['ns']:.1f} "
                           f"| {ours['ns'] / cpy['ns']:.2f}x | {count / nio['ns']:.2f} | {nio['ns'] / ours['ns']:.1f}x |")
        out.append("")

    if any(k.startswith("Deflate.") for k in r):
        out.append("## permessage-deflate vs raw zlib (same bytes, level 6, 15-bit window; ratio = ours / zlib, target ≤ 1.1x)")
        out.append("| benchmark | ours | mallocs | zlib | ratio |")
        out.append("|---|---:|---:|---:|---:|")
        for op in ("Deflate", "Inflate"):
            for load_ in ("symbols", "spots"):
                ours, raw = r.get(f"Deflate.{op}.{load_}"), r.get(f"Deflate.Zlib.{op}.{load_}")
                if ours and raw:
                    out.append(f"| {op}.{load_} | {fmt_ns(ours['ns'])} | {ours['mallocs']:.0f} | {fmt_ns(raw['ns'])} "
                               f"| {ours['ns'] / raw['ns']:.2f}x |")
        out.append("")

    if any(k.startswith("Envelope.") for k in r):
        out.append("## Envelope decode and encode vs Foundation (fastest sample, per message; ratio = Foundation / ours; spot decode target ≥ 6x JSONDecoder)")
        out.append("| sample | decode | mallocs | JSONDecoder | ratio | JSONSerialization | ratio | encode | JSONEncoder | ratio |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for sample in ("spot", "spotTrendbar", "execution", "symbols1000"):
            d, e = r.get(f"Envelope.Decode.{sample}"), r.get(f"Envelope.Encode.{sample}")
            jd, js = r.get(f"Envelope.Foundation.JSONDecoder.{sample}"), r.get(f"Envelope.Foundation.JSONSerialization.Decode.{sample}")
            je = r.get(f"Envelope.Foundation.JSONEncoder.{sample}")
            if d and e and jd and js and je:
                out.append(f"| {sample} | {fmt_ns(d['ns'])} | {d['mallocs']:.1f} | {fmt_ns(jd['ns'])} | {jd['ns'] / d['ns']:.1f}x "
                           f"| {fmt_ns(js['ns'])} | {js['ns'] / d['ns']:.1f}x | {fmt_ns(e['ns'])} | {fmt_ns(je['ns'])} | {je['ns'] / e['ns']:.1f}x |")
        out.append("")

    print("\n".join(out))


if __name__ == "__main__":
    main()
