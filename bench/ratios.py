#!/usr/bin/env python3
"""Ratios ours/theirs from one run.sh result folder: RPS and p99 of our router against each
peer measured in the same round.   ratios.py RESULTS_DIR [--ours router]"""
import argparse
import json
import os


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--ours", default="router")
    a = ap.parse_args()
    rows = [json.loads(line) for line in open(os.path.join(a.dir, "results.jsonl")) if line.strip()]
    print("\n| round | peer | ours RPS | peer RPS | ours/peer RPS | ours p99 ms | peer p99 ms |")
    print("|---|---|---|---|---|---|---|")
    for rnd in sorted({r["round"] for r in rows}):
        ours = [r for r in rows if r["round"] == rnd and r["gateway"] == a.ours and r.get("rps")]
        if not ours:
            continue
        o = ours[0]
        for p in rows:
            if p["round"] != rnd or p["gateway"] == a.ours or not p.get("rps"):
                continue
            print(f"| {rnd} | {p['gateway']} | {o['rps']:.1f} | {p['rps']:.1f} | {o['rps'] / p['rps']:.2f} | "
                  f"{o['latency_ms']['p99']:.0f} | {p['latency_ms']['p99']:.0f} |")


if __name__ == "__main__":
    main()
