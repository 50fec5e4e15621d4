#!/usr/bin/env bash
# Proves the README's first command on a stock system (issue #17; slow, so not in CI):
#   1. debootstraps a minimal Debian 12 (bookworm, --variant=minbase) into DIR, from the mirror
#      in /etc/apt/sources.list.d (else deb.debian.org);
#   2. copies this repository in (git archive of HEAD: committed files only);
#   3. inside it (chroot, /proc and /dev mounted) runs `bash scripts/setup.sh` with the host's
#      network, for apt, then the README's first command, `bash scripts/run.sh`, in a network
#      namespace of its own that has only loopback (the cluster needs nothing else, and its
#      ports cannot meet the host's);
#   4. checks that `mysqlset status` shows 3 ready members, then `mysqlset down`.
# The build inside compiles everything from scratch (no ccache): minutes of CPU.
# Usage (root):  bash scripts/check-fresh-debian.sh [DIR]   (default /tmp/mysqlset-fresh-debian;
# an existing DIR is reused as it is, KEEP=0 deletes it at the end). Last line: "fresh debian:
# ok" or "fresh debian: FAILED (...)"; exit 0 or 1.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/tmp/mysqlset-fresh-debian}
t0=$SECONDS
step() { echo "== [$((SECONDS - t0)) s] $*"; }
fail() { echo "fresh debian: FAILED ($*)"; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root (debootstrap and chroot need it)"
if ! command -v debootstrap >/dev/null; then
  step "installing debootstrap on this host"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap \
    >/dev/null || fail "apt-get install debootstrap"
fi
mirror=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)\/*$/\1/p' /etc/apt/sources.list.d/*.sources \
  2>/dev/null | head -n 1)
mirror=${mirror:-http://deb.debian.org/debian}

mounted=()
cleanup() {
  local rc=$?
  # A cluster left running (a failure between up and down) holds the chroot's files.
  if [ -x "$dir/usr/local/bin/mysqlset" ] && [ -f "$dir/root/mysqlset/mysqlset-data/cluster.json" ]; then
    chroot "$dir" /usr/local/bin/mysqlset down --dir /root/mysqlset/mysqlset-data \
      >/dev/null 2>&1 || true
  fi
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -l "${mounted[i]}" 2>/dev/null || true
  done
  if [ "${KEEP:-1}" = 0 ]; then rm -rf --one-file-system "$dir"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -x "$dir/bin/bash" ]; then
  step "debootstrap --variant=minbase bookworm $dir $mirror"
  mkdir -p "$dir"
  debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$dir.debootstrap.log" 2>&1 ||
    { tail -n 20 "$dir.debootstrap.log"; fail "debootstrap, see $dir.debootstrap.log"; }
else
  step "reusing the Debian 12 in $dir"
fi
echo "   $(cat "$dir/etc/debian_version"), $(chroot "$dir" dpkg-query -W -f='.\n' | wc -l) packages"

step "copying $(git -C "$repo" rev-parse --short HEAD) (git archive HEAD) into /root/mysqlset"
rm -rf "$dir/root/mysqlset"
mkdir -p "$dir/root/mysqlset"
git -C "$repo" archive HEAD | tar -x -C "$dir/root/mysqlset"
cp /etc/resolv.conf "$dir/etc/resolv.conf"
# debootstrap writes no /etc/hosts; Debian's installer does (localhost and the host name),
# and mariadb-install-db refuses to run when neither name resolves.
if [ ! -e "$dir/etc/hosts" ]; then
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
    "$(hostname)" >"$dir/etc/hosts"
fi

mount -t proc proc "$dir/proc" && mounted+=("$dir/proc")
mount --bind /dev "$dir/dev" && mounted+=("$dir/dev")
mount --bind /dev/pts "$dir/dev/pts" && mounted+=("$dir/dev/pts")

in_chroot() { chroot "$dir" /usr/bin/env -i HOME=/root TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

step "setup (with the network, for apt): bash scripts/setup.sh"
in_chroot bash -c 'cd /root/mysqlset && bash scripts/setup.sh' || fail "setup.sh"

step "the README's first command, loopback only: bash scripts/run.sh"
unshare --net bash -c "ip link set lo up && chroot '$dir' /usr/bin/env -i HOME=/root \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin bash -c '
    cd /root/mysqlset && bash scripts/run.sh || exit 1
    echo \"== status\"
    cd / && mysqlset status --dir /root/mysqlset/mysqlset-data | tee /tmp/status.txt
    ready=\$(grep -c \"^mysql-[0-9].* yes \" /tmp/status.txt)
    echo \"== down\"
    mysqlset down --dir /root/mysqlset/mysqlset-data
    [ \"\$ready\" = 3 ] || { echo \"status shows \$ready ready member(s), not 3\"; exit 1; }
  '" || fail "run.sh, status or down in the chroot"
step "done"
echo "fresh debian: ok (Debian $(cat "$dir/etc/debian_version") minbase, README's first command, 3 ready)"
