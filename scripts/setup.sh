#!/usr/bin/env bash
# Installs every Debian package that the build, the tests and the main job need.
# Idempotent: packages already installed are skipped, and apt-get update runs at most once.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcpp-httplib-dev
  prometheus-cpp-dev libmariadb-dev libssl-dev libgtest-dev libgmock-dev
  mariadb-server mariadb-client mariadb-backup
  haproxy sysbench percona-toolkit ncat gnuplot-nox
  iproute2 util-linux procps curl python3 python3-yaml kubectl nodejs
  clang libclang-rt-14-dev lld
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# nodejs from some sources bundles npm; Debian's splits it out.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
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

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
