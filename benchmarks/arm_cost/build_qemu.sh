#!/bin/sh
# Builds, once, a plugin-enabled qemu-aarch64 (user mode only) from Debian bookworm's own QEMU 7.2
# source package, plus the instruction-counting plugin (insn_classes.c), into a cache outside the repo.
# Usage: build_qemu.sh  -> prints nothing on success; the binaries are in $DAE_QEMU_CACHE/{bin,lib}.
set -eu
CACHE=${DAE_QEMU_CACHE:-/var/cache/dae-edge/qemu-plugins}
HERE=$(cd "$(dirname "$0")" && pwd)
QEMU=$CACHE/bin/qemu-aarch64
PLUGIN=$CACHE/lib/libinsn_classes.so
THREADS_PLUGIN=$CACHE/lib/libinsn_threads.so  # per-thread counters, for the live loop (live_loop.py)

fail() { echo "arm-cost: $*" >&2; exit 2; }

apt_locked() { flock /tmp/apt.lock env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }

build_qemu() {
    [ "$(id -u)" = 0 ] || fail "building QEMU needs root (apt-get build deps and source); run as root"
    command -v apt-get >/dev/null || fail "no apt-get: needs a Debian bookworm host to build QEMU 7.2 from its source package"
    if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        cat > /etc/apt/sources.list.d/dae-edge-deb-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fi
    apt_locked update -qq >/dev/null
    # Only what a user-mode, plugin-enabled build needs (the full build-dep pulls in Xen, Spice, ...).
    apt_locked install -y -qq --no-install-recommends dpkg-dev build-essential ninja-build meson pkg-config \
        libglib2.0-dev python3 python3-venv flex bison libfdt-dev zlib1g-dev >/dev/null \
        || fail "could not install the QEMU build tools with apt-get"
    mkdir -p "$CACHE/src"
    cd "$CACHE/src"
    rm -rf qemu-*/
    apt_locked source -qq qemu >/dev/null || fail "apt-get source qemu failed (is a bookworm deb-src line reachable?)"
    cd "$(ls -d qemu-*/ | head -1)"
    mkdir -p build && cd build
    # Debian's dfsg tarball has no bundled Meson: use Debian's, with Debian's python3 first on PATH.
    PATH=/usr/sbin:/usr/bin:/sbin:/bin ../configure --prefix="$CACHE" --meson=/usr/bin/meson \
        --target-list=aarch64-linux-user \
        --enable-plugins --disable-system --disable-tools --disable-docs --disable-guest-agent \
        --disable-werror --disable-debug-info --disable-capstone --disable-slirp --disable-gnutls \
        --disable-nettle --disable-gcrypt --disable-curl --disable-linux-aio --disable-linux-io-uring \
        --disable-vhost-user --disable-bpf --disable-sdl --disable-gtk --disable-vnc --disable-opengl \
        --disable-spice --disable-xen --disable-kvm --disable-tcg-interpreter >../configure.log 2>&1 \
        || fail "QEMU configure failed: see $(pwd)/../configure.log"
    PATH=/usr/sbin:/usr/bin:/sbin:/bin make -j"$(nproc)" >../make.log 2>&1 || fail "QEMU build failed: see $(pwd)/../make.log"
    mkdir -p "$CACHE/bin" "$CACHE/include"
    cp qemu-aarch64 "$QEMU"
    cp ../include/qemu/qemu-plugin.h "$CACHE/include/"
    ./qemu-aarch64 --version | head -1 | sed 's/.*version //' >"$CACHE/VERSION"
}

build_plugin() {  # build_plugin OUT [gcc flags]
    command -v gcc >/dev/null || fail "no gcc to build the counting plugin"
    mkdir -p "$CACHE/lib"
    target=$1
    shift
    gcc -O2 -Wall -shared -fPIC "$@" -I"$CACHE/include" -o "$target.tmp" "$HERE/insn_classes.c" \
        || fail "could not build the counting plugin"
    mv "$target.tmp" "$target"
}

[ -x "$QEMU" ] || build_qemu
# The plugin is rebuilt whenever its source is newer than the cached build.
[ -f "$PLUGIN" ] && [ "$PLUGIN" -nt "$HERE/insn_classes.c" ] || build_plugin "$PLUGIN"
[ -f "$THREADS_PLUGIN" ] && [ "$THREADS_PLUGIN" -nt "$HERE/insn_classes.c" ] \
    || build_plugin "$THREADS_PLUGIN" -DINSN_CLASSES_THREADS
