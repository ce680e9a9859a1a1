#!/bin/bash
# Build (once) and cache an arm64 Debian 12 "bookworm" root: the Raspberry Pi OS 64-bit userland
# (same Python 3.11.2, no libGL, like Raspberry Pi OS Lite). Shared by `make pi-check` and others:
#   root:   ${DAE_PI_ROOT:-/var/cache/dae-edge/pi-root}, built under flock on pi-root.lock beside it
#   marker: $ROOT/.dae-root-ready, written only when the root is complete
# Users of the root keep their venvs inside it under their own names (pi-check uses /opt/pi-check-*)
# and never change its system Python packages; extra apt packages belong in this script.
# Prints one line naming what is missing and exits 2 when it cannot run here.
set -euo pipefail

ROOT="${DAE_PI_ROOT:-/var/cache/dae-edge/pi-root}"
LOCK="$(dirname "$ROOT")/pi-root.lock"
MARKER="$ROOT/.dae-root-ready"
PACKAGES="python3,python3-venv,python3-pip,ca-certificates"

missing() { echo "pi root: cannot build: $*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || missing "needs root (debootstrap, chroot, mount namespaces)"
command -v debootstrap >/dev/null || missing "no debootstrap (apt-get install -y debootstrap)"
[ -x /usr/bin/qemu-aarch64-static ] || missing "no qemu-user-static (apt-get install -y qemu-user-static binfmt-support)"

# binfmt_misc lets the kernel hand aarch64 binaries to qemu (flag F: no qemu copy needed in the root).
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null \
    || missing "binfmt_misc is not mounted and cannot be (mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc)"
fi
if ! grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null; then
  command -v update-binfmts >/dev/null || missing "no binfmt-support (apt-get install -y binfmt-support)"
  update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null \
    || missing "qemu-aarch64 binfmt handler not enabled (update-binfmts --enable qemu-aarch64)"
fi

# The Debian mirror apt already uses on this host (deb822 sources or a classic list), else the default.
mirror() {
  local uri
  uri=$(grep -hs -A3 '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ {print u; exit}')
  [ -n "$uri" ] || uri=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
  echo "${uri:-http://deb.debian.org/debian}"
}

mkdir -p "$(dirname "$ROOT")"
exec 9>"$LOCK"
flock 9
if [ -e "$MARKER" ]; then
  echo "pi root: ready at $ROOT"
  exit 0
fi

rm -rf "$ROOT"   # a half-built root (no marker) from an interrupted run
MIRROR=$(mirror)
echo "pi root: debootstrap arm64 bookworm from $MIRROR into $ROOT (3-6 minutes)"
debootstrap --arch=arm64 --variant=minbase --include="$PACKAGES" bookworm "$ROOT" "$MIRROR" \
  >"$(dirname "$ROOT")/pi-root-debootstrap.log" 2>&1 \
  || missing "debootstrap failed, see $(dirname "$ROOT")/pi-root-debootstrap.log"

# Behind an intercepting HTTPS proxy the guest needs the host's extra CA certificates (pip uses them).
if compgen -G "/usr/local/share/ca-certificates/*" >/dev/null; then
  mkdir -p "$ROOT/usr/local/share/ca-certificates"
  cp -r /usr/local/share/ca-certificates/. "$ROOT/usr/local/share/ca-certificates/"
  chroot "$ROOT" /usr/sbin/update-ca-certificates >/dev/null
fi
rm -rf "$ROOT/var/cache/apt/archives/"*.deb

chroot "$ROOT" /usr/bin/python3 -c 'import platform, sys; print("pi root:", platform.machine(), sys.version.split()[0])'
touch "$MARKER"
echo "pi root: ready at $ROOT"
