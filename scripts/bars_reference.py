#!/usr/bin/env python3
"""Reference OHLC bars for the bar builder's tests (Tests/CTraderToolkitTests/BarBuilderTests.swift).

Written from the definition of bid bars, not from the Swift code, standard library only:
- each spot is a tick at its bid; a spot without a bid is a tick at the last known bid, and a
  spot before any bid is known is skipped;
- a tick belongs to the bar of its period that holds its time (UTC): minutes and hours count
  from the Unix epoch, D1 from midnight, W1 from Monday (or Sunday) midnight, MN1 from the 1st;
- a bar's open is its first tick, close its last, high and low the extremes, volume the count
  of ticks; periods without ticks have no bar.

Usage: bars_reference.py INPUT.json [OUTPUT.json], where INPUT is
  {"periods": ["M1", ...], "weekStart": "monday", "ticks": [{"t": ms, "bid": int|null}, ...]}
Writes (to OUTPUT, else standard output) {"M1": [[start_ms, open, high, low, close, volume], ...], ...}, bars oldest first.
"""

import datetime
import json
import sys

MINUTES = {"M1": 1, "M2": 2, "M3": 3, "M4": 4, "M5": 5, "M10": 10, "M15": 15, "M30": 30,
           "H1": 60, "H4": 240, "H12": 720, "D1": 1440}
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def bar_start(period, ms, week_start):
    moment = EPOCH + datetime.timedelta(milliseconds=ms)
    if period in MINUTES:
        length = MINUTES[period] * 60_000
        return ms // length * length
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "W1":
        first = 0 if week_start == "monday" else 6  # datetime.weekday(): Monday 0 … Sunday 6
        back = (midnight.weekday() - first) % 7
        start = midnight - datetime.timedelta(days=back)
    elif period == "MN1":
        start = midnight.replace(day=1)
    else:
        raise ValueError(period)
    return (start - EPOCH) // datetime.timedelta(milliseconds=1)


def bars(ticks, period, week_start):
    result = {}
    order = []
    last_bid = None
    for tick in ticks:
        if tick.get("bid") is not None:
            last_bid = tick["bid"]
        if last_bid is None:
            continue
        start = bar_start(period, tick["t"], week_start)
        if start not in result:
            result[start] = [start, last_bid, last_bid, last_bid, last_bid, 0]
            order.append(start)
        bar = result[start]
        bar[2] = max(bar[2], last_bid)
        bar[3] = min(bar[3], last_bid)
        bar[4] = last_bid
        bar[5] += 1
    return [result[start] for start in sorted(order)]


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        spec = json.load(file)
    ticks = sorted(spec["ticks"], key=lambda tick: tick["t"])
    week_start = spec.get("weekStart", "monday")
    result = {period: bars(ticks, period, week_start) for period in spec["periods"]}
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w", encoding="utf-8") as file:
            json.dump(result, file)
    else:
        json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
