#!/usr/bin/env bash
# Fails if the server configs that the Kubernetes ConfigMap ships differ from the ones at the
# repo root (config/*.cnf, used by local mode). deploy/kubernetes/config/ must hold identical
# copies, because kustomize cannot read files outside its directory.
#   bash tests/k8s/validate/check-config-sync.sh      # from anywhere in the repo
# Exit 0: identical (or, printing "skipped", the root files do not exist yet); 1: they differ.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
files=(mysqlset.cnf)

missing=0
for f in "${files[@]}"; do
  [ -f "$root/config/$f" ] || missing=$((missing + 1))
done
if [ "$missing" -eq "${#files[@]}" ]; then
  echo "config sync: skipped (config/mysqlset.cnf does not exist yet)"
  exit 0
fi

status=0
for f in "${files[@]}"; do
  a="$root/config/$f"
  b="$root/deploy/kubernetes/config/$f"
  if [ ! -f "$a" ] || [ ! -f "$b" ]; then
    echo "config sync: missing ${a#"$root"/} or ${b#"$root"/}" >&2
    status=1
  elif ! cmp -s "$a" "$b"; then
    echo "config sync: ${b#"$root"/} differs from ${a#"$root"/}; fix with: cp config/$f deploy/kubernetes/config/$f" >&2
    diff -u "$a" "$b" >&2 || true
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "config sync: deploy/kubernetes/config/*.cnf match config/*.cnf"
exit "$status"
