#!/usr/bin/env bash
# Checks deploy/kubernetes/monitoring without a cluster or a Prometheus:
#   1. it renders (kubectl kustomize) to one PodMonitor and one PrometheusRule, and the
#      PodMonitor selects the base's mysql pods on their `agent` port;
#   2. the PrometheusRule's groups pass `promtool check rules`, and every alert behaves as
#      alerts_test.yaml says on synthetic series (`promtool test rules`);
#   3. the rules and grafana-dashboard.json use only metric names the agent exports
#      (check_metrics.py reads them from src/agent/status_report.cc and src/backup/'s
#      binlog_archiver.cc and backup_age_monitor.cc);
#   4. overlays/second-cluster-monitoring's PodMonitor selects the second cluster's pods only,
#      and the first cluster's selects none of them (negative: the overlay without its
#      selector patch is rejected);
#   5. negative cases: a changed alert threshold fails the unit tests, an unknown metric name
#      fails the name check.
# Run from anywhere:  bash tests/k8s/monitoring/run.sh
# Needs promtool (Debian's `prometheus` package), kubectl and python3-yaml. Last line:
# "N passed, M failed"; exit 1 on any failure.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$root"
mon=deploy/kubernetes/monitoring

passed=0
failed=0
pass() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}
for tool in promtool kubectl python3; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (scripts/setup.sh --tests; promtool is in Debian's prometheus)"
done
[ "$failed" -eq 0 ] || finish
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- render, and the PodMonitor finds the members ---
if kubectl kustomize "$mon" >"$tmp/monitoring.yaml" 2>"$tmp/err" && kubectl kustomize deploy/kubernetes >"$tmp/base.yaml" 2>>"$tmp/err"; then
  pass "render: kubectl kustomize $mon"
else
  cat "$tmp/err"
  fail "render: kubectl kustomize $mon"
  finish
fi
if out=$(python3 - "$tmp/monitoring.yaml" "$tmp/base.yaml" "$tmp/rules.yaml" <<'PY'
import sys, yaml
mon = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
base = [d for d in yaml.safe_load_all(open(sys.argv[2])) if d]
kinds = sorted(d["kind"] for d in mon)
assert kinds == ["PodMonitor", "PrometheusRule"], f"kinds {kinds}"
assert all(d["apiVersion"] == "monitoring.coreos.com/v1" for d in mon), "apiVersion"
pm = next(d for d in mon if d["kind"] == "PodMonitor")
sts = next(d for d in base if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "mysql")
labels = sts["spec"]["template"]["metadata"]["labels"]
sel = pm["spec"]["selector"]["matchLabels"]
assert "app.kubernetes.io/instance" in sel, "PodMonitor selector without the instance label"
assert all(labels.get(k) == v for k, v in sel.items()), f"PodMonitor selector {sel} does not select {labels}"
ports = {p["name"] for c in sts["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
for e in pm["spec"]["podMetricsEndpoints"]:
    assert e["port"] in ports, f"PodMonitor port {e['port']} is not a port of the mysql pods {sorted(ports)}"
rule = next(d for d in mon if d["kind"] == "PrometheusRule")
yaml.safe_dump(rule["spec"], open(sys.argv[3], "w"), sort_keys=False)
PY
); then
  pass "PodMonitor selects the members' agent port; PrometheusRule extracted"
else
  echo "$out"
  fail "PodMonitor selects the members' agent port; PrometheusRule extracted"
  finish
fi

# --- a second cluster in the namespace (overlays/second-cluster-monitoring) ---
# Its PodMonitor selects the orders pods only, and the first cluster's selects none of them.
# Negative: the same overlay without its selector patch (what commonLabels alone gives, the
# cross-wiring a PodMonitor custom resource keeps) must be rejected by the same check.
copy="$tmp/k8s"
cp -r deploy/kubernetes "$copy"
cp "$copy/overlays/second-cluster/secrets.env.example" "$copy/overlays/second-cluster/secrets.env"
unpatched="$copy/overlays/second-cluster-monitoring-unpatched"
mkdir -p "$unpatched"
sed '/^patchesJson6902:/,$d' "$copy/overlays/second-cluster-monitoring/kustomization.yaml" >"$unpatched/kustomization.yaml"
selects_only_orders() {  # selects_only_orders PODMONITOR.yaml: exit 0 when it scrapes orders only
  python3 - "$1" "$tmp/orders.yaml" "$tmp/base.yaml" <<'PY'
import sys, yaml
docs = lambda f: [d for d in yaml.safe_load_all(open(f)) if d]
pm = next(d for d in docs(sys.argv[1]) if d["kind"] == "PodMonitor")
# Its own name too: under the first one's, `kubectl apply` would replace the first cluster's.
assert pm["metadata"]["name"] == "orders-mysql", "PodMonitor named " + pm["metadata"]["name"]
def pod_labels(f, name):
    sts = next(d for d in docs(f) if d["kind"] == "StatefulSet" and d["metadata"]["name"] == name)
    return sts["spec"]["template"]["metadata"]["labels"]
sel = pm["spec"]["selector"]["matchLabels"]
picks = lambda labels: all(labels.get(k) == v for k, v in sel.items())
assert picks(pod_labels(sys.argv[2], "orders-mysql")), f"{sel} does not select the orders pods"
assert not picks(pod_labels(sys.argv[3], "mysql")), f"{sel} also selects the first cluster's pods"
PY
}
if kubectl kustomize "$copy/overlays/second-cluster" >"$tmp/orders.yaml" 2>"$tmp/err" \
  && kubectl kustomize "$copy/overlays/second-cluster-monitoring" >"$tmp/orders-mon.yaml" 2>>"$tmp/err" \
  && kubectl kustomize "$unpatched" >"$tmp/orders-mon-unpatched.yaml" 2>>"$tmp/err"; then
  pass "render: overlays/second-cluster-monitoring (and its unpatched variant)"
  if out=$(selects_only_orders "$tmp/orders-mon.yaml" 2>&1); then
    pass "second cluster's PodMonitor selects its own pods only"
  else
    echo "$out"
    fail "second cluster's PodMonitor selects its own pods only"
  fi
  if ! selects_only_orders "$tmp/orders-mon-unpatched.yaml" >/dev/null 2>&1; then
    pass "negative: a second PodMonitor without the selector patch is rejected"
  else
    fail "negative: a second PodMonitor without the selector patch is rejected"
  fi
  if python3 - "$tmp/monitoring.yaml" "$tmp/orders.yaml" <<'PY'
import sys, yaml
docs = lambda f: [d for d in yaml.safe_load_all(open(f)) if d]
sel = next(d for d in docs(sys.argv[1]) if d["kind"] == "PodMonitor")["spec"]["selector"]["matchLabels"]
sts = next(d for d in docs(sys.argv[2]) if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "orders-mysql")
labels = sts["spec"]["template"]["metadata"]["labels"]
sys.exit(1 if all(labels.get(k) == v for k, v in sel.items()) else 0)
PY
  then
    pass "the first cluster's PodMonitor selects none of the second's pods"
  else
    fail "the first cluster's PodMonitor selects none of the second's pods"
  fi
else
  cat "$tmp/err"
  fail "render: overlays/second-cluster-monitoring (and its unpatched variant)"
fi

# --- promtool ---
if promtool check rules "$tmp/rules.yaml" >"$tmp/out" 2>&1; then
  pass "promtool check rules ($(grep -o '[0-9]* rules found' "$tmp/out"))"
else
  cat "$tmp/out"
  fail "promtool check rules"
fi
cp "$here/alerts_test.yaml" "$tmp/alerts_test.yaml"
if promtool test rules "$tmp/alerts_test.yaml" >"$tmp/out" 2>&1; then
  pass "promtool test rules (alerts_test.yaml)"
else
  cat "$tmp/out"
  fail "promtool test rules (alerts_test.yaml)"
fi
# Every alert has a unit test.
missing=$(python3 - "$tmp/rules.yaml" "$here/alerts_test.yaml" <<'PY'
import sys, yaml
alerts = {r["alert"] for g in yaml.safe_load(open(sys.argv[1]))["groups"] for r in g["rules"] if "alert" in r}
tested = {a["alertname"] for t in yaml.safe_load(open(sys.argv[2]))["tests"] for a in t.get("alert_rule_test", [])}
print(" ".join(sorted(alerts - tested)))
PY
)
if [ -z "$missing" ]; then pass "every alert has a promtool unit test"; else fail "alerts without a unit test: $missing"; fi

# --- metric names ---
dash=$mon/grafana-dashboard.json
# Every file that writes the agent's /metrics.
exporters=src/agent/status_report.cc,src/backup/binlog_archiver.cc,src/backup/backup_age_monitor.cc
if python3 "$here/check_metrics.py" "$exporters" "$tmp/rules.yaml" "$dash" >"$tmp/out" 2>&1; then
  pass "metric names: $(cat "$tmp/out")"
else
  cat "$tmp/out"
  fail "metric names: rules and dashboard use only what the agent exports"
fi

# --- negative cases ---
mkdir -p "$tmp/neg"
sed 's/mysqlset_replication_lag_seconds > 30/mysqlset_replication_lag_seconds > 300/' "$tmp/rules.yaml" >"$tmp/neg/rules.yaml"
cp "$here/alerts_test.yaml" "$tmp/neg/"
if ! cmp -s "$tmp/rules.yaml" "$tmp/neg/rules.yaml" && ! promtool test rules "$tmp/neg/alerts_test.yaml" >/dev/null 2>&1; then
  pass "selftest: promtool test rules fails on a changed lag threshold"
else
  fail "selftest: promtool test rules fails on a changed lag threshold"
fi
sed 's/mysqlset_replication_lag_seconds{/mysqlset_replication_delay_seconds{/' "$dash" >"$tmp/neg/dash.json"
if ! python3 "$here/check_metrics.py" "$exporters" "$tmp/rules.yaml" "$tmp/neg/dash.json" >"$tmp/out" 2>&1 &&
  grep -q 'mysqlset_replication_delay_seconds is not exported' "$tmp/out"; then
  pass "selftest: a dashboard with a metric the agent does not export is rejected"
else
  cat "$tmp/out"
  fail "selftest: a dashboard with a metric the agent does not export is rejected"
fi
sed 's/mysqlset_errant_gtids > 0/mysql_global_status_errant > 0/' "$tmp/rules.yaml" >"$tmp/neg/rules.yaml"
if ! python3 "$here/check_metrics.py" "$exporters" "$tmp/neg/rules.yaml" "$dash" >"$tmp/out" 2>&1 &&
  grep -q 'mysql_global_status_errant is neither' "$tmp/out"; then
  pass "selftest: a rule on a metric nobody exports is rejected"
else
  cat "$tmp/out"
  fail "selftest: a rule on a metric nobody exports is rejected"
fi
printf '{"panels": [' >"$tmp/neg/bad.json"
if ! python3 "$here/check_metrics.py" "$exporters" "$tmp/rules.yaml" "$tmp/neg/bad.json" >/dev/null 2>&1; then
  pass "selftest: a dashboard that is not JSON is rejected"
else
  fail "selftest: a dashboard that is not JSON is rejected"
fi
finish
