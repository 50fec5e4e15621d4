#!/usr/bin/env python3
"""Seconds until the replicas follow a new primary (failover benchmark, issue 14).

    follow_time.py STATUS_JSON T0 OLD [--include-old] [--timeout S]

STATUS_JSON is `mysqlset status --json` saved before the fault (its agent URLs, hosts and
ports: the status command itself may wait on a held supervisor). Polls the agents every
100 ms: the new primary is the member other than OLD whose agent answers GET /primary with
200; then waits until every other member (OLD excluded unless --include-old) reports in
`/v1/status` the role replica, NEW's host:port as its replication source, and both threads
running. Prints "NEW SECONDS" (seconds from T0, a time.monotonic()), or "NEW timeout".
Asserts nothing.
"""
import argparse
import json
import time
import urllib.request


def get(url, timeout=1):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except Exception:
        return None, b""


def follows(agent_url, source):
    code, body = get(agent_url + "/v1/status")
    if code != 200:
        return False
    st = json.loads(body)
    rep = st.get("replication") or {}
    return (st.get("role") == "replica" and rep.get("source") == source
            and rep.get("io_running") == "Yes" and rep.get("sql_running") == "Yes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("status_json")
    ap.add_argument("t0", type=float)
    ap.add_argument("old")
    ap.add_argument("--include-old", action="store_true")
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    with open(a.status_json) as f:
        members = json.load(f)["members"]
    deadline = time.monotonic() + a.timeout
    new = None
    while new is None and time.monotonic() < deadline:
        new = next((m for m in members if m["name"] != a.old
                    and get(m["agent"] + "/primary")[0] == 200), None)
        if new is None:
            time.sleep(0.1)
    if new is None:
        print("- timeout")
        return 0
    source = f"{new['host']}:{new['port']}"
    rest = [m["agent"] for m in members
            if m["name"] != new["name"] and (a.include_old or m["name"] != a.old)]
    while time.monotonic() < deadline:
        if all(follows(u, source) for u in rest):
            print(f"{new['name']} {time.monotonic() - a.t0:.3f}")
            return 0
        time.sleep(0.1)
    print(f"{new['name']} timeout")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
