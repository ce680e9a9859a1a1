#!/bin/sh
# Prepares the shared arm64 root for the ARM cost benchmark and runs commands in it.
#   guest.sh root          wait for (or build) the shared root: ${DAE_PI_ROOT:-/var/cache/dae-edge/pi-root}
#   guest.sh venv          /opt/arm-cost-venv inside the root: onnxruntime, numpy, ai-edge-litert (pip, cached)
#   guest.sh count CPU CPUINFO OUT -- CMD...
#                          runs CMD (guest paths) under the plugin-enabled qemu with CPU (cortex-a72|cortex-a76),
#                          CPUINFO bind-mounted over /proc/cpuinfo, counts appended to OUT (host path)
# The host's / is bind-mounted at the root's /mnt inside a private mount namespace, so the guest
# reads the repo and models at /mnt/<host path>, and qemu (an x86 binary) runs from there too.
set -eu
ROOT=${DAE_PI_ROOT:-/var/cache/dae-edge/pi-root}
LOCK=$(dirname "$ROOT")/pi-root.lock
MARKER=$ROOT/.dae-root-ready
CACHE=${DAE_QEMU_CACHE:-/var/cache/dae-edge/qemu-plugins}
VENV=/opt/arm-cost-venv
# Tested together on 2026-11-26 (aarch64 wheels for Python 3.11).
GUEST_PACKAGES="onnxruntime==1.32.0 numpy==2.4.6 ai-edge-litert==2.3.0"

fail() { echo "arm-cost: $*" >&2; exit 2; }

ensure_root() {
    [ -e "$MARKER" ] && return 0
    command -v debootstrap >/dev/null || fail "no debootstrap for the arm64 root (apt-get install debootstrap qemu-user-static binfmt-support)"
    [ -x /usr/bin/qemu-aarch64-static ] || fail "no qemu-user-static for the arm64 root (apt-get install qemu-user-static binfmt-support)"
    mkdir -p "$(dirname "$ROOT")"
    # Whoever holds the lock (pi-check or us) builds it; the others wait here and find the marker.
    flock "$LOCK" sh -c '
        [ -e "$1" ] && exit 0
        rm -rf "$2"
        debootstrap --arch=arm64 --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
            bookworm "$2" http://deb.debian.org/debian >"$2.debootstrap.log" 2>&1 || exit 1
        touch "$1"' _ "$MARKER" "$ROOT" || fail "debootstrap of the arm64 root failed (see $ROOT.debootstrap.log)"
}

ensure_venv() {
    want="$GUEST_PACKAGES"
    [ "$(cat "$ROOT$VENV/.installed" 2>/dev/null)" = "$want" ] && return 0
    grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null \
        || fail "qemu-aarch64 binfmt handler not enabled (update-binfmts --enable qemu-aarch64)"
    (
        flock 8
        [ "$(cat "$ROOT$VENV/.installed" 2>/dev/null)" = "$want" ] && exit 0
        rm -rf "${ROOT:?}$VENV"
        chroot "$ROOT" /usr/bin/python3 -m venv "$VENV"
        # The host's index and CA bundle (an intercepting proxy's CA is in the host's bundle).
        cp "${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}" "$ROOT$VENV/host-ca.crt"
        index=$(pip config get global.index-url 2>/dev/null || true)
        chroot "$ROOT" env PIP_CERT="$VENV/host-ca.crt" PIP_DISABLE_PIP_VERSION_CHECK=1 \
            ${index:+PIP_INDEX_URL="$index"} "$VENV/bin/pip" install -q $want \
            || exit 1
        echo "$want" > "$ROOT$VENV/.installed"
    ) 8>"$ROOT$VENV.lock" || fail "pip install in the arm64 root failed: $want"
}

count() {
    cpu=$1 cpuinfo=$2 out=$3
    shift 4
    unshare -m sh -c '
        set -e
        root=$1 cpu=$2 cpuinfo=$3 out=$4 cache=$5; shift 5
        mount --make-rprivate /
        mount --bind / "$root/mnt"
        mount -t proc proc "$root/proc"
        mount --bind "$cpuinfo" "$root/proc/cpuinfo"
        mount --rbind /dev "$root/dev"
        exec chroot "$root" env -i PATH=/usr/bin:/bin HOME=/root PYTHONHASHSEED=0 OMP_NUM_THREADS=1 \
            PYTHONPATH="$PYTHONPATH" PYTHONDONTWRITEBYTECODE=1 \
            /mnt/lib64/ld-linux-x86-64.so.2 --library-path /mnt/usr/lib/x86_64-linux-gnu \
            "/mnt$cache/bin/qemu-aarch64" -cpu "$cpu" -plugin "/mnt$cache/lib/libinsn_classes.so,out=/mnt$out" "$@"
    ' _ "$ROOT" "$cpu" "$cpuinfo" "$out" "$CACHE" "$@"
}

case "${1:-}" in
    root) ensure_root ;;
    venv) ensure_root; ensure_venv ;;
    count) shift; count "$@" ;;
    *) echo "usage: guest.sh root|venv|count CPU CPUINFO OUT -- CMD..." >&2; exit 2 ;;
esac
