#!/bin/sh
# Prepares the shared arm64 root for the ARM cost benchmark and runs commands in it.
#   guest.sh root          wait for (or build) the shared root: ${DAE_PI_ROOT:-/var/cache/dae-edge/pi-root}
#   guest.sh venv          /opt/arm-cost-venv inside the root: onnxruntime, numpy, ai-edge-litert, ncnn, MNN (pip, cached)
#   guest.sh live-venv     /opt/arm-live-venv: what the Pi bundle's requirements-rpi.txt pins (the live loop, live_loop.py)
#   guest.sh count CPU CPUINFO OUT -- CMD...
#                          runs CMD (guest paths) under the plugin-enabled qemu with CPU (cortex-a72|cortex-a76),
#                          CPUINFO bind-mounted over /proc/cpuinfo, counts appended to OUT (host path); the plugin
#                          is $ARM_COST_PLUGIN from the cache's lib (default libinsn_classes.so)
# The host's / is bind-mounted at the root's /mnt inside a private mount namespace, so the guest
# reads the repo and models at /mnt/<host path>, and qemu (an x86 binary) runs from there too.
set -eu
ROOT=${DAE_PI_ROOT:-/var/cache/dae-edge/pi-root}
LOCK=$(dirname "$ROOT")/pi-root.lock
MARKER=$ROOT/.dae-root-ready
CACHE=${DAE_QEMU_CACHE:-/var/cache/dae-edge/qemu-plugins}
VENV=/opt/arm-cost-venv
# Tested together on 2026-11-26 (aarch64 wheels for Python 3.11); the peers ncnn and MNN (issue 26) on
# 2026-12-06. The peers live in this measurement venv only: the Pi bundle never needs them.
GUEST_PACKAGES="onnxruntime==1.32.0 numpy==2.4.6 ai-edge-litert==2.3.0 ncnn==1.0.20261020 MNN==3.6.1"
LIVE_VENV=/opt/arm-live-venv
# The Pi bundle's requirements-rpi.txt (dae_export.bundle.RPI_REQUIREMENTS, 2026-12-06): the live loop as a Pi runs it.
LIVE_PACKAGES="onnxruntime==1.32.0 numpy==2.4.6 opencv-python-headless==5.0.0.93 click==8.5.1 simplejpeg==1.9.0"

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

ensure_venv() {  # ensure_venv VENV PACKAGES
    VENV=$1 want=$2
    [ "$(cat "$ROOT$VENV/.installed" 2>/dev/null)" = "$want" ] && return 0
    command -v chroot >/dev/null || fail "no chroot"
    python3 -m pip --version >/dev/null 2>&1 || fail "no pip on the host (python3 -m pip) to fill the guest venv"
    (
        flock 8
        [ "$(cat "$ROOT$VENV/.installed" 2>/dev/null)" = "$want" ] && exit 0
        rm -rf "${ROOT:?}$VENV"
        # The venv is made by the guest's own Python 3.11.2 (emulated, without pip: seconds); its packages
        # are the aarch64 wheels, fetched and unpacked by the host's pip with the host's index settings
        # (emulated pip takes minutes on a loaded machine).
        chroot "$ROOT" /usr/bin/python3 -m venv --without-pip "$VENV"
        python3 -m pip install -q --disable-pip-version-check --no-compile --only-binary=:all: \
            --platform manylinux_2_36_aarch64 --platform manylinux_2_28_aarch64 --platform manylinux_2_27_aarch64 \
            --platform manylinux_2_17_aarch64 --platform manylinux2014_aarch64 --python-version 3.11 \
            --implementation cp --abi cp311 --target "$ROOT$VENV/lib/python3.11/site-packages" $want \
            || exit 1
        echo "$want" > "$ROOT$VENV/.installed"
    ) 8>"$ROOT$VENV.lock" || fail "could not install $want for aarch64 into $ROOT$VENV"
}

count() {
    cpu=$1 cpuinfo=$2 out=$3
    shift 4
    # qemu is an x86_64 program: started by the host's loader (real path: /lib64 may be an absolute link).
    loader=$(readlink -f /lib64/ld-linux-x86-64.so.2)
    libdir=$(dirname "$(readlink -f "$(ldconfig -p | awk '/libglib-2.0.so.0 .*x86-64/ {print $NF; exit}')")")
    unshare -m sh -c '
        set -e
        root=$1 cpu=$2 cpuinfo=$3 out=$4 cache=$5 loader=$6 libdir=$7 plugin=$8; shift 8
        mount --make-rprivate /
        mount --bind / "$root/mnt"
        mount -t proc proc "$root/proc"
        mount --bind "$cpuinfo" "$root/proc/cpuinfo"
        mount --rbind /dev "$root/dev"
        mount --bind /sys "$root/sys"  # cpuinfo (XNNPACK) reads the CPU list there; without it, no dot product
        exec chroot "$root" env -i PATH=/usr/bin:/bin HOME=/root PYTHONHASHSEED=0 OMP_NUM_THREADS=1 \
            PYTHONPATH="$PYTHONPATH" PYTHONDONTWRITEBYTECODE=1 \
            "/mnt$loader" --library-path "/mnt$libdir" \
            "/mnt$cache/bin/qemu-aarch64" -cpu "$cpu" -plugin "/mnt$cache/lib/$plugin,out=/mnt$out" "$@"
    ' _ "$ROOT" "$cpu" "$cpuinfo" "$out" "$CACHE" "$loader" "$libdir" "${ARM_COST_PLUGIN:-libinsn_classes.so}" "$@"
}

case "${1:-}" in
    root) ensure_root ;;
    venv) ensure_root; ensure_venv "$VENV" "$GUEST_PACKAGES" ;;
    live-venv) ensure_root; ensure_venv "$LIVE_VENV" "$LIVE_PACKAGES" ;;
    count) shift; count "$@" ;;
    *) echo "usage: guest.sh root|venv|live-venv|count CPU CPUINFO OUT -- CMD..." >&2; exit 2 ;;
esac
