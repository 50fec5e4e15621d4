#!/usr/bin/env python3
"""Samples how far the binlog archive trails the primary (bench/backup_bench.sh).

Every PERIOD seconds for SECONDS: the primary's @@gtid_binlog_pos and the archive's end (the
highest end GTID of REPO/binlogs/*/segment.json, domain 0). The lag at a sample taken at t is
t minus the last sample time s at which the primary's position was still within what the
archive holds at t: the archive holds the primary's state of `lag` seconds ago, which is what
a cluster lost at t would lose (to within PERIOD); NA when the archive lacks even what the
primary had at the first sample. Prints one TSV row per sample:
LABEL t primary_seq archive_seq lag_s.
"""
import argparse
import glob
import json
import os
import subprocess
import tempfile
import time


def seq0(gtids):
    """The sequence number of domain 0 in "0-1-42,1-2-7" (0 when none)."""
    for g in (gtids or "").split(","):
        parts = g.strip().split("-")
        if len(parts) == 3 and parts[0] == "0":
            return int(parts[2])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--password-file", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--period", type=float, default=0.5)
    ap.add_argument("--label", default="")
    ap.add_argument("--while-pid", type=int, default=0,
                    help="sample only while this process (the load) runs, at most SECONDS")
    a = ap.parse_args()
    # The mariadb client (any python3 has it at hand, unlike pymysql), with the password in a
    # 0600 option file rather than on its argv.
    cnf = tempfile.NamedTemporaryFile("w", suffix=".cnf", delete=False)
    os.chmod(cnf.name, 0o600)
    cnf.write("[client]\nuser=admin\npassword=%s\nhost=127.0.0.1\nport=%d\n"
              % (open(a.password_file).read().strip(), a.port))
    cnf.close()
    query = ["mariadb", f"--defaults-extra-file={cnf.name}", "-N", "-B", "-e",
             "SELECT @@gtid_binlog_pos"]
    seen = {}  # segment.json path -> end seq (a published segment never changes)
    samples = []  # (t, primary_seq, archive_seq)
    t0 = time.time()
    for _ in range(int(a.seconds / a.period) + 1):
        now = time.time()
        if now - t0 > a.seconds or (a.while_pid and not os.path.exists(f"/proc/{a.while_pid}")):
            break
        try:
            out = subprocess.run(query, capture_output=True, text=True, timeout=10).stdout
        except subprocess.TimeoutExpired:
            continue  # a sample lost to a busy machine
        primary = seq0(out)
        for path in glob.glob(f"{a.repo}/binlogs/*/segment.json"):
            if path not in seen:
                try:
                    seen[path] = seq0(json.load(open(path)).get("end_gtid"))
                except (OSError, ValueError):
                    pass  # pruned or being replaced: read again next time
        archive = max(seen.values(), default=0)
        samples.append((now - t0, primary, archive))
        time.sleep(max(0.0, a.period - (time.time() - now)))
    os.unlink(cnf.name)
    # The load starts when the primary first moves (sysbench connects and prepares first).
    start = next((i for i in range(1, len(samples)) if samples[i][1] > samples[0][1]), len(samples))
    samples = samples[max(0, start - 1):]
    for i, (t, primary, archive) in enumerate(samples):
        caught = [s for s, p, _ in samples[:i + 1] if p <= archive]
        # None caught: the archive lacks what the primary had before sampling began, so the
        # lag is unknown (at least t): NA, left out of the figures.
        lag = f"{t - caught[-1]:.2f}" if caught else "NA"
        print(f"{a.label}\t{t:.2f}\t{primary}\t{archive}\t{lag}")


if __name__ == "__main__":
    main()
