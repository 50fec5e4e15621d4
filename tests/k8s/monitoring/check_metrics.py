#!/usr/bin/env python3
"""Checks that alert rules and a Grafana dashboard use only metric names the agent exports.

    check_metrics.py EXPORTER.cc[,MORE.cc...] RULES.yaml DASHBOARD.json

The exported names are the "mysqlset_*" string literals of the agent's metrics code
(src/agent/status_report.cc, src/backup/binlog_archiver.cc, ...); besides them only Prometheus' own per-target series are
allowed. The dashboard must be valid JSON with panels whose targets have an expression. Prints
one line per problem and exits 1 if there is any; prints "ok ..." and exits 0 otherwise.
"""
import json
import re
import sys

import yaml

PROMETHEUS_OWN = {"up", "scrape_duration_seconds"}
FUNCS = {"sum", "max", "min", "avg", "count", "rate", "increase", "by", "on", "and", "or",
         "unless", "bool", "group_left", "group_right", "ignoring", "without", "label_values",
         "absent", "irate", "delta", "offset", "time"}


def names_in(expr):
    # Drop label matchers {..}, strings and durations [5m], then take identifiers that are
    # not functions, keywords or label names after `by (`/`on (`.
    expr = re.sub(r'\{[^}]*\}', '', expr)
    expr = re.sub(r'\b(by|on|without|ignoring|group_left|group_right)\s*\([^)]*\)', ' ', expr)
    expr = re.sub(r'"[^"]*"', '', expr)
    expr = re.sub(r'\[[^\]]*\]', '', expr)
    return {w for w in re.findall(r'\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()', expr)
            if w not in FUNCS and not re.fullmatch(r'\d+[smhd]?', w)}


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: check_metrics.py EXPORTER.cc RULES.yaml DASHBOARD.json")
    exported = set()
    for exporter in sys.argv[1].split(","):  # several sources: "a.cc,b.cc"
        exported |= set(re.findall(r'"(mysqlset_[a-z0-9_]+)"', open(exporter).read()))
    problems = []
    if not exported:
        problems.append(f"{sys.argv[1]}: no mysqlset_* metric names found")
    exprs = []
    rules = yaml.safe_load(open(sys.argv[2]))
    for g in rules.get("groups", []):
        for r in g.get("rules", []):
            exprs.append((f"rule {r.get('alert') or r.get('record')}", str(r["expr"])))
    try:
        dash = json.load(open(sys.argv[3]))
    except ValueError as e:
        sys.exit(f"{sys.argv[3]}: not valid JSON: {e}")
    panels = dash.get("panels", [])
    if not panels:
        problems.append(f"{sys.argv[3]}: no panels")
    for p in panels:
        targets = p.get("targets") or []
        if not targets or not all(t.get("expr") for t in targets):
            problems.append(f"panel {p.get('title')!r}: a target without an expression")
        exprs += [(f"panel {p.get('title')!r}", t.get("expr", "")) for t in targets]
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query", "")
        m = re.match(r'label_values\((\w+)', q) if isinstance(q, str) else None
        if m:
            exprs.append((f"variable {v.get('name')}", m.group(1)))
    for where, expr in exprs:
        for name in sorted(names_in(expr)):
            if name.startswith("mysqlset_"):
                if name not in exported:
                    problems.append(f"{where}: {name} is not exported by the agent")
            elif name not in PROMETHEUS_OWN:
                problems.append(f"{where}: {name} is neither an agent metric nor Prometheus' own")
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print(f"ok {len(exprs)} expressions use only the agent's {len(exported)} metric names")


if __name__ == "__main__":
    main()
