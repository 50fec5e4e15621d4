#!/usr/bin/env bash
# Installs the Debian 12 packages mysqlset needs.
#   bash scripts/setup.sh           what the main job (scripts/run.sh) needs: the build
#                                   toolchain, the C++ libraries, MariaDB 10.11, HAProxy
#   bash scripts/setup.sh --tests   that, plus the test and benchmark tools listed in
#                                   scripts/packages-test.txt (scripts/test.sh, bench/)
# Idempotent: packages already installed are skipped, and apt-get update runs at most once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

lists=("$here/packages-main.txt")
case "${1:-}" in
  --tests) lists+=("$here/packages-test.txt") ;;
  "") ;;
  *) echo "setup: unknown option '$1' (use --tests or nothing)" >&2; exit 2 ;;
esac

packages=()
for list in "${lists[@]}"; do
  while read -r line; do
    line=${line%%#*}
    for p in $line; do packages+=("$p"); done
  done <"$list"
done

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
# The test tools also need npm (nodejs from some sources bundles it; Debian's splits it out)
# and kubectl (see below).
need_npm=0
need_kubectl=0
if [ ${#lists[@]} -gt 1 ]; then
  command -v npm >/dev/null 2>&1 || need_npm=1
  command -v kubectl >/dev/null 2>&1 || need_kubectl=1
fi

if [ ${#missing[@]} -eq 0 ] && [ "$need_npm" = 0 ] && [ "$need_kubectl" = 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
[ "$need_npm" = 1 ] && missing+=(npm)
if [ "$need_kubectl" = 1 ]; then
  # Stock Debian 12 has no `kubectl` package; its `kubernetes-client` ships kubectl 1.20,
  # whose kustomize (v2.0.3) deploy/kubernetes is written for (docs/kubernetes.md).
  if apt-cache policy kubectl 2>/dev/null | grep -q 'Candidate: [^(]'; then
    missing+=(kubectl)
  else
    missing+=(kubernetes-client)
  fi
fi

echo "setup: installing ${missing[*]}"
# Keep package scripts from starting system-wide mariadb/haproxy services: mysqlset runs its own.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT

apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
