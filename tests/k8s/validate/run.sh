#!/usr/bin/env bash
# Validates mysqlset's Kubernetes manifests without a cluster:
#   1. renders the base (deploy/kubernetes), the example overlay and the backup layer
#      (deploy/kubernetes/backup, overlays/backup-rclone) with `kubectl kustomize`;
#   2. validates every object and every field against the Kubernetes API schema
#      (kubernetes-models, plus a layer that rejects unknown fields), and the semantic rules
#      the manifests rely on (validate.mjs, lib.mjs);
#   3. runs negative self-tests: broken manifests must be rejected (selftest.mjs, testdata/);
#   4. checks that deploy/kubernetes/config/*.cnf are copies of config/*.cnf.
# Run from anywhere:  bash tests/k8s/validate/run.sh
# Needs node, npm and kubectl (scripts/setup.sh --tests); installs its npm packages on first run with
# `npm ci` from the committed package-lock.json. Last line: "N passed, M failed"; exit 1 on any
# failure.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$root"

passed=0
failed=0
skipped=0
pass() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
finish() {
  [ "$skipped" -gt 0 ] && echo "note: $skipped check(s) skipped"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs a node script that ends with "RESULT passed=N failed=M" and adds its counts.
run_node() {
  local out="$tmp/node.out"
  node "$@" >"$out" 2>&1
  local rc=$?
  grep -v '^RESULT ' "$out"
  local line
  line=$(grep '^RESULT ' "$out" | tail -n 1)
  if [[ "$line" =~ ^RESULT\ passed=([0-9]+)\ failed=([0-9]+)$ ]]; then
    passed=$((passed + BASH_REMATCH[1]))
    failed=$((failed + BASH_REMATCH[2]))
    if [ "$rc" -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ]; then fail "node $1 exited $rc"; fi
  else
    fail "node $1 exited $rc without a result line"
  fi
}

# --- tools and packages ---
for tool in node npm kubectl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    fail "$tool is not installed (run scripts/setup.sh --tests)"
  fi
done
[ "$failed" -eq 0 ] || finish

# Install from the lock file when node_modules is absent or was installed from another lock.
stamp="$here/node_modules/.mysqlset-package-lock.json"
if [ ! -f "$stamp" ] || ! cmp -s "$stamp" "$here/package-lock.json"; then
  echo "installing npm packages into tests/k8s/validate/node_modules (npm ci)"
  if (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >"$tmp/npm.log" 2>&1); then
    cp "$here/package-lock.json" "$stamp"
  else
    cat "$tmp/npm.log"
    fail "npm ci in tests/k8s/validate"
    finish
  fi
fi

# --- config sync ---
if out=$(bash "$here/check-config-sync.sh" 2>&1); then
  if [[ "$out" == *skipped* ]]; then
    echo "skip $out"
    skipped=$((skipped + 1))
  else
    pass "$out"
  fi
else
  echo "$out"
  fail "config sync: deploy/kubernetes/config/*.cnf differ from config/*.cnf"
fi

# --- render ---
base="$tmp/base.yaml"
if kubectl kustomize deploy/kubernetes >"$base" 2>"$tmp/err"; then
  pass "render: kubectl kustomize deploy/kubernetes"
else
  cat "$tmp/err"
  fail "render: kubectl kustomize deploy/kubernetes"
fi
if grep -q '^kind: Secret$' "$base"; then
  fail "base contains no Secret (users must not deploy placeholder passwords)"
else
  pass "base contains no Secret (users must not deploy placeholder passwords)"
fi

# The overlay renders in a temp copy, with secrets.env made from the committed example.
copy="$tmp/kubernetes"
cp -r deploy/kubernetes "$copy"
ov="$copy/overlays/example"
rm -f "$ov/secrets.env"
if kubectl kustomize "$ov" >/dev/null 2>&1; then
  fail "render: example overlay refuses to render without secrets.env"
else
  pass "render: example overlay refuses to render without secrets.env"
fi
cp "$ov/secrets.env.example" "$ov/secrets.env"
example="$tmp/example.yaml"
if kubectl kustomize "$ov" >"$example" 2>"$tmp/err"; then
  pass "render: kubectl kustomize deploy/kubernetes/overlays/example"
else
  cat "$tmp/err"
  fail "render: kubectl kustomize deploy/kubernetes/overlays/example"
fi

# --- schema and semantics ---
sts="StatefulSet/mysql"
image_paths=(spec.template.spec.initContainers.0.image spec.template.spec.initContainers.1.image
  spec.template.spec.containers.0.image spec.template.spec.containers.1.image)
storage="spec.volumeClaimTemplates.0.spec.resources.requests.storage"

# etcd keeps its 3 members and the router its 2 replicas in every render.
roles_expect=(--expect "StatefulSet/etcd:spec.replicas=3" --expect "Deployment/mysql-router:spec.replicas=2"
  --expect "Service/mysql:spec.clusterIP=None")
base_expect=(--expect "$sts:spec.replicas=3" --expect "$sts:$storage=10Gi" "${roles_expect[@]}")
for p in "${image_paths[@]}"; do base_expect+=(--expect "$sts:$p=mysqlset:0.1.0"); done
run_node "$here/validate.mjs" --external-secret mysql-secrets "${base_expect[@]}" "$base"

ex_expect=(--expect "$sts:spec.replicas=5" --expect "$sts:$storage=50Gi" "${roles_expect[@]}")
for p in "${image_paths[@]}"; do ex_expect+=(--expect "$sts:$p=registry.example.com/mysqlset:1.0"); done
for k in admin-password replication-password backup-password monitor-password backup-token app-password; do
  ex_expect+=(--expect "Secret/mysql-secrets:data.$k=*")
done
run_node "$here/validate.mjs" "${ex_expect[@]}" "$example"

# --- several clusters in one namespace (issue 16) ---
# overlays/second-cluster (namePrefix orders-, instance orders-mysql, image by digest) renders
# and validates on its own, overlays/spread-required too; rendered beside the example overlay,
# neither cluster selects the other's pods. Negative: the same overlay with only the
# namePrefix (the cross-wiring the issue describes), and the base twice, must be rejected.
second="$copy/overlays/second-cluster"
cp "$second/secrets.env.example" "$second/secrets.env"
orders="$tmp/orders.yaml"
if kubectl kustomize "$second" >"$orders" 2>"$tmp/err"; then
  pass "render: kubectl kustomize deploy/kubernetes/overlays/second-cluster"
else
  cat "$tmp/err"
  fail "render: kubectl kustomize deploy/kubernetes/overlays/second-cluster"
fi
or_expect=(--expect "StatefulSet/orders-mysql:spec.replicas=3" --expect "StatefulSet/orders-etcd:spec.replicas=3"
  --expect "Service/orders-mysql:spec.clusterIP=None" --expect "Secret/orders-mysql-secrets:data.admin-password=*"
  --expect "StatefulSet/orders-mysql:spec.serviceName=orders-mysql")
run_node "$here/validate.mjs" "${or_expect[@]}" "$orders"
run_node "$here/crosscheck.mjs" "$example" "$orders"
required="$tmp/spread-required.yaml"
if kubectl kustomize "$copy/overlays/spread-required" >"$required" 2>"$tmp/err"; then
  pass "render: kubectl kustomize deploy/kubernetes/overlays/spread-required"
  run_node "$here/validate.mjs" --external-secret mysql-secrets \
    --expect "$sts:spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution.0.topologyKey=kubernetes.io/hostname" "$required"
else
  cat "$tmp/err"
  fail "render: kubectl kustomize deploy/kubernetes/overlays/spread-required"
fi
sed -i '/^commonLabels:/,/^$/d' "$second/kustomization.yaml"
if kubectl kustomize "$second" >"$tmp/prefix-only.yaml" 2>"$tmp/err" &&
  ! node "$here/crosscheck.mjs" "$example" "$tmp/prefix-only.yaml" >"$tmp/cross.out" 2>&1 &&
  grep -q 'Service/mysql-read spec.selector selects the pods of prefix-only.yaml' "$tmp/cross.out"; then
  pass "selftest: crosscheck rejects a second cluster that changes only the namePrefix"
else
  cat "$tmp/err" "$tmp/cross.out"
  fail "selftest: crosscheck rejects a second cluster that changes only the namePrefix"
fi
if ! node "$here/crosscheck.mjs" "$base" "$base" >"$tmp/cross.out" 2>&1 && grep -q 'no object names shared' "$tmp/cross.out"; then
  pass "selftest: crosscheck rejects two clusters with the same names"
else
  cat "$tmp/cross.out"
  fail "selftest: crosscheck rejects two clusters with the same names"
fi

# --- backups (deploy/kubernetes/backup: the base plus backup CronJobs and binlog archiving) ---
# Renders on its own and as the base of an overlay with a namePrefix and another instance
# (the CronJobs follow the StatefulSet's and the claim's new names).
backup="$tmp/backup.yaml"
if kubectl kustomize deploy/kubernetes/backup >"$backup" 2>"$tmp/err"; then
  pass "render: kubectl kustomize deploy/kubernetes/backup"
else
  cat "$tmp/err"
  fail "render: kubectl kustomize deploy/kubernetes/backup"
fi
cjpod="spec.jobTemplate.spec.template.spec"
cj="CronJob/mysql-backup:$cjpod"
bk_expect=(--expect "$sts:spec.replicas=3" "${roles_expect[@]}"
  --expect "CronJob/mysql-backup:spec.schedule=0 3 * * 1-6" --expect "CronJob/mysql-backup-verify:spec.schedule=0 3 * * 0"
  --expect "CronJob/mysql-backup:spec.concurrencyPolicy=Forbid" --expect "$cj.containers.0.image=mysqlset:0.1.0"
  --expect "$cj.containers.0.command.5=mysql" --expect "CronJob/mysql-backup-verify:spec.jobTemplate.spec.template.spec.containers.0.command.8=--verify"
  --expect "$cj.volumes.0.persistentVolumeClaim.claimName=mysql-backups"
  --expect "PersistentVolumeClaim/mysql-backups:spec.accessModes.0=ReadWriteMany")
run_node "$here/validate.mjs" --external-secret mysql-secrets "${bk_expect[@]}" "$backup"
bko="$copy/overlays/backup-prefixed"
mkdir -p "$bko"
cat >"$bko/kustomization.yaml" <<'KEOF'
bases: [../../backup]
namePrefix: orders-
commonLabels:
  app.kubernetes.io/instance: orders-mysql
KEOF
if kubectl kustomize "$bko" >"$tmp/backup-prefixed.yaml" 2>"$tmp/err"; then
  pass "render: the backup layer under a namePrefix"
  run_node "$here/validate.mjs" --external-secret mysql-secrets \
    --expect "CronJob/orders-mysql-backup:$cjpod.containers.0.command.5=orders-mysql" \
    --expect "CronJob/orders-mysql-backup:$cjpod.volumes.0.persistentVolumeClaim.claimName=orders-mysql-backups" \
    "$tmp/backup-prefixed.yaml"
  run_node "$here/crosscheck.mjs" "$backup" "$tmp/backup-prefixed.yaml"
else
  cat "$tmp/err"
  fail "render: the backup layer under a namePrefix"
fi

# overlays/backup-rclone: the same backups into rclone:backups:mysqlset, the volume gone.
# Negative: without RCLONE_CONFIG, neither the agents nor the jobs could reach the remote.
rclone="$tmp/backup-rclone.yaml"
if kubectl kustomize "$copy/overlays/backup-rclone" >"$rclone" 2>"$tmp/err"; then
  pass "render: kubectl kustomize deploy/kubernetes/overlays/backup-rclone"
  run_node "$here/validate.mjs" --external-secret mysql-secrets --external-secret mysql-backup-rclone \
    --expect "$cj.containers.0.env.0.value=rclone:backups:mysqlset" "$rclone"
  if grep -q 'mysql-backups\|mountPath: /backups' "$rclone"; then
    fail "overlays/backup-rclone drops the repository volume"
  else
    pass "overlays/backup-rclone drops the repository volume"
  fi
  sed '/- name: RCLONE_CONFIG$/,+1d' "$rclone" >"$tmp/no-rclone-config.yaml"
  if ! node "$here/validate.mjs" --external-secret mysql-secrets --external-secret mysql-backup-rclone \
    "$tmp/no-rclone-config.yaml" >"$tmp/rc.out" 2>&1 && grep -q 'CronJob/mysql-backup: .*without RCLONE_CONFIG' "$tmp/rc.out" &&
    grep -q 'agents archive binlogs StatefulSet/mysql: .*without RCLONE_CONFIG' "$tmp/rc.out"; then
    pass "selftest: an rclone repository without rclone's config is rejected"
  else
    cat "$tmp/rc.out"
    fail "selftest: an rclone repository without rclone's config is rejected"
  fi
else
  cat "$tmp/err"
  fail "render: kubectl kustomize deploy/kubernetes/overlays/backup-rclone"
fi

# --- negative self-tests: the validator must be able to fail ---
run_node "$here/selftest.mjs" "$base"
run_node "$here/selftest.mjs" "$backup"

node "$here/validate.mjs" "$here/testdata/broken.yaml" >"$tmp/broken.out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -q 'imagePullPolcy' "$tmp/broken.out" &&
  grep -q 'replicas must be integer' "$tmp/broken.out" && grep -q 'unknown volume "dta"' "$tmp/broken.out"; then
  pass "selftest: validate.mjs rejects testdata/broken.yaml (misspelled field, wrong type, unknown volume)"
else
  cat "$tmp/broken.out"
  fail "selftest: validate.mjs rejects testdata/broken.yaml (exit $rc)"
fi

printf 'kind: [unclosed\n' >"$tmp/garbage.yaml"
if node "$here/validate.mjs" "$tmp/garbage.yaml" >/dev/null 2>&1; then
  fail "selftest: validate.mjs rejects unparsable YAML"
else
  pass "selftest: validate.mjs rejects unparsable YAML"
fi

finish
