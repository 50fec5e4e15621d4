#!/usr/bin/env python3
"""Issue 19's goal ratios from clone_bench.sh's results, paired run by run.

usage: clone_ratios.py RESULTS_DIR      prints the markdown tables (report.py includes them)

Each run of clone_bench.sh times a) mysqlset, b) the tutorial's pipeline and c) tar one after
the other, so a run's ratio a/b compares neighbours in time: on a shared machine that is
steadier than a ratio of medians taken minutes apart. Shown: median (min-max) over runs.
"""
import os
import statistics
import sys

# Issue 19's goal: a/b at most 1.0 at ~0.5 GB, at most 0.8 from 1 GB; a/c at most 1.15 from
# 2 GB. Data set sizes are nominal (SIZES_MB); the goal applies from 95% of the threshold.
GOAL_AB = [(950, 0.8), (0, 1.0)]
GOAL_AC = [(1900, 1.15)]
PHASES = ["connect", "stream", "tail", "prepare", "rollback", "install"]


def goal(table, size_mb):
    for floor, limit in table:
        if size_mb >= floor:
            return limit
    return None


def rows(res, name):
    p = os.path.join(res, name)
    if not os.path.exists(p):
        return []
    return [l.split() for l in open(p) if l.strip()]


def spread(vals):
    return f"{statistics.median(vals):.2f} ({min(vals):.2f}–{max(vals):.2f})"


def ratio_lines(res):
    """Markdown lines: per size, a/b and a/c over paired runs, against the goal."""
    runs = {}  # size -> run -> method -> (stream, total)
    dset = {}
    for size, db, method, run, stream, total, _ in rows(res, "clone.tsv"):
        runs.setdefault(int(size), {}).setdefault(run, {})[method] = (float(stream), float(total))
        dset[int(size)] = int(db)
    out = ["| data set | runs | a / b total | goal | a / b stream only | a / c total | goal |",
           "|---|---|---|---|---|---|---|"]
    for size in sorted(runs):
        ab, ab_s, ac = [], [], []
        for r in runs[size].values():
            if "mysqlset" in r and "seed" in r:
                ab.append(r["mysqlset"][1] / r["seed"][1])
                ab_s.append(r["mysqlset"][0] / r["seed"][0])
            if "mysqlset" in r and "tar" in r:
                ac.append(r["mysqlset"][1] / r["tar"][1])
        if not ab:
            continue
        gb, gc = goal(GOAL_AB, size), goal(GOAL_AC, size)

        def verdict(vals, limit):
            if limit is None:
                return "–"
            return f"≤ {limit:.2f} " + ("met" if statistics.median(vals) <= limit else "**not met**")

        out.append(f"| {dset[size] / 1e6:.0f} MB | {len(ab)} | {spread(ab)} | {verdict(ab, gb)} | "
                   f"{spread(ab_s)} | {spread(ac) if ac else 'n/a'} | "
                   f"{verdict(ac, gc) if ac else '–'} |")
    return out if len(out) > 2 else []


def phase_lines(res):
    """Markdown lines: median seconds per phase of `mysqlset clone`, from its log."""
    by_size = {}
    for r in rows(res, "clone_phases.tsv"):
        by_size.setdefault(int(r[0]), []).append([float(x) for x in r[2:2 + len(PHASES)]])
    if not by_size:
        return []
    out = ["| data set | runs | " + " | ".join(PHASES) + " |",
           "|---|---|" + "---|" * len(PHASES)]
    for size in sorted(by_size):
        v = by_size[size]
        meds = [statistics.median(x[i] for x in v) for i in range(len(PHASES))]
        out.append(f"| {size} MB | {len(v)} | " + " | ".join(f"{m:.2f}" for m in meds) + " |")
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: clone_ratios.py RESULTS_DIR")
    lines = ratio_lines(sys.argv[1])
    if not lines:
        sys.exit(f"clone_ratios.py: no paired runs in {sys.argv[1]}/clone.tsv")
    print("Paired ratios, median (min–max) over runs; a = mysqlset clone, b = tutorial pipeline, "
          "c = tar:")
    print("\n".join(lines))
    phases = phase_lines(sys.argv[1])
    if phases:
        print("\nmysqlset clone phases (median s; stream includes the wait for mbstream's exit, "
              "tail is that wait alone):")
        print("\n".join(phases))
