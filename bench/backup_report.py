#!/usr/bin/env python3
"""Summarises bench/backup_bench.sh's results (OUT/backup.tsv, lag.tsv, restore.tsv,
load.txt, params.txt) as Markdown on stdout and in OUT/backup.md."""
import os
import statistics
import sys

out = sys.argv[1]


def rows(name):
    p = os.path.join(out, name)
    if not os.path.exists(p):
        return []
    lines = [l.rstrip("\n").split("\t") for l in open(p) if l.strip()]
    return [dict(zip(lines[0], l)) for l in lines[1:]]


def mmm(vals):
    return f"{min(vals):.1f} / {statistics.median(vals):.1f} / {max(vals):.1f}"


def pct(vals, p):
    s = sorted(vals)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


md = []
w = md.append
params = dict(l.rstrip("\n").split(": ", 1) for l in open(os.path.join(out, "params.txt")))
dataset = int(params["dataset_bytes"])
w(f"Data set: {dataset / 1e6:.0f} MB ({params['tables']}; the datadir without binary logs "
  "and redo log, what mariabackup copies).")
w("")
backup = rows("backup.tsv")
names = {"mysqlset-before": "a0) the same, built before this run's change (MYSQLSET_BEFORE)",
         "mysqlset": "a) `mysqlset backup --repo DIR` (stream checked, zstd -3 and zstd -t, SHA-256 read back, manifest)",
         "mariabackup": "b) `mariabackup --backup --stream=xbstream > file`",
         "mariabackup-zstd": "c) `mariabackup --backup --stream=xbstream \\| zstd -3 -T0 > file`"}
med = {}
if backup:
    w("| method | runs | seconds min / median / max | MB/s (median) | output MB | load (1-min) |")
    w("|---|---|---|---|---|---|")
    for m, label in names.items():
        r = [x for x in backup if x["method"] == m]
        if not r:
            continue
        secs = [float(x["seconds"]) for x in r]
        med[m] = statistics.median(secs)
        loads = ", ".join(x["load1"] for x in r)
        w(f"| {label} | {len(r)} | {mmm(secs)} | {dataset / 1e6 / med[m]:.0f} | "
          f"{statistics.median(int(x['output_bytes']) for x in r) / 1e6:.0f} | {loads} |")
    w("")
    split = [(m, [x for x in backup if x["method"] == m and x.get("stream_s", "NA") not in ("NA", "")])
             for m in ("mysqlset-before", "mysqlset")]
    if any(r for _, r in split):
        w("| method | stream, s (to zstd's end) | store + verify + publish, s | total, s (medians) |")
        w("|---|---|---|---|")
        for m, r in split:
            if r:
                st = statistics.median(float(x["stream_s"]) for x in r)
                tot = statistics.median(float(x["seconds"]) for x in r)
                w(f"| {names[m].split(')')[0]}) | {st:.1f} | {tot - st:.1f} | {tot:.1f} |")
        w("")
    for a in ("mysqlset-before", "mysqlset"):
        if a in med and "mariabackup" in med:
            w(f"{names[a].split(')')[0]}): time ratio to b {med[a] / med['mariabackup']:.2f}"
              + (f", to c {med[a] / med['mariabackup-zstd']:.2f}" if "mariabackup-zstd" in med
                 else "") + ".")
            w("")
restore = rows("restore.tsv")
if restore:
    w("| restore | runs | seconds min / median / max | binlogs replayed | load (1-min) |")
    w("|---|---|---|---|---|")
    for kind, label in (("backup", "a) `mysqlset restore` of the backup alone"),
                        ("pitr", "b) `mysqlset restore --to-time` (backup + archived binlogs)")):
        r = [x for x in restore if x["kind"] == kind]
        if r:
            w(f"| {label} | {len(r)} | {mmm([float(x['seconds']) for x in r])} | "
              f"{', '.join(x['binlogs'] for x in r)} | {', '.join(x['load1'] for x in r)} |")
    w("")
lag = rows("lag.tsv")
if lag:
    w(f"| `--archive-interval` | samples | lag p50, s | p95, s | max, s | max / interval |")
    w("|---|---|---|---|---|---|")
    for interval in dict.fromkeys(x["interval"] for x in lag):
        v = [float(x["lag_s"]) for x in lag if x["interval"] == interval and x["lag_s"] != "NA"]
        if not v:
            continue
        w(f"| {interval} s | {len(v)} | {statistics.median(v):.1f} | {pct(v, 95):.1f} | "
          f"{max(v):.1f} | {max(v) / float(interval):.2f} |")
    w("")
load = [l.split() for l in open(os.path.join(out, "load.txt"))]
w("Load average (1, 5, 15 min) at each phase: "
  + "; ".join(f"{l[0]} {l[1]} {l[2]} {l[3]}" for l in load) + " (2 CPUs).")
text = "\n".join(md) + "\n"
open(os.path.join(out, "backup.md"), "w").write(text)
print(text)
