"""Where pi-check runs a Pi user's commands: an arm64 root under qemu-user with a Pi's CPU model, or natively.

Each command runs in its own process group with its output kept in a log; the guest sees a Pi's
/proc/cpuinfo, a clean environment (no DISPLAY) and the host's pip index, proxy settings, DNS and CA bundle.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

# What a Pi's kernel shows in /proc/cpuinfo (4 cores). qemu-user 7.2 would show the host's x86 file,
# and onnxruntime's cpuinfo parser then crashes on import.
PI_CPUS = {
    "cortex-a72": {"board": "Raspberry Pi 4 Model B", "part": "0xd08", "variant": "0x0", "revision": "3",
                   "features": "fp asimd evtstrm crc32 cpuid"},
    "cortex-a76": {"board": "Raspberry Pi 5 Model B", "part": "0xd0b", "variant": "0x4", "revision": "1",
                   "features": "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm "
                               "lrcpc dcpop asimddp"},
}  # fmt: skip
# AT_HWCAP bits (linux/arch/arm64/include/uapi/asm/hwcap.h): what qemu's CPU model really offers.
HWCAP_BITS = {"atomics": 8, "asimddp": 20, "sve": 22}

GUEST_PROBE = (
    "import ctypes, json, platform, sys; h = ctypes.CDLL(None).getauxval(16); "
    "print(json.dumps({'python': platform.python_version(), 'machine': platform.machine(), "
    f"'hwcap': {{k: bool(h >> b & 1) for k, b in {HWCAP_BITS!r}.items()}}}}))"
)


class CannotRun(Exception):
    """The check cannot run on this machine; the message says what is missing, in one line."""


def cpuinfo_text(cpu: str) -> str:
    spec = PI_CPUS[cpu]
    block = (
        "processor\t: {n}\nBogoMIPS\t: 108.00\nFeatures\t: {features}\nCPU implementer\t: 0x41\n"
        "CPU architecture: 8\nCPU variant\t: {variant}\nCPU part\t: {part}\nCPU revision\t: {revision}\n\n"
    )
    body = "".join(block.format(n=n, **spec) for n in range(4))
    return body + f"Revision\t: c03111\nModel\t\t: {spec['board']}\n"


def check_host(root: Path) -> None:
    if os.geteuid() != 0:
        raise CannotRun("needs root (chroot and mount namespaces): run `sudo make pi-check`")
    for tool, package in (("unshare", "util-linux"), ("chroot", "coreutils"), ("debootstrap", "debootstrap")):
        if shutil.which(tool) is None:
            raise CannotRun(f"no {tool}: apt-get install -y {package}")
    if not Path("/usr/bin/qemu-aarch64-static").exists():
        raise CannotRun("no qemu-user-static: apt-get install -y qemu-user-static binfmt-support")


def run_logged(cmd: list[str], log: Path, timeout: float, **kw) -> tuple[int, str, float]:
    """Run cmd in its own process group, keep its output in log; return (exit code, output, seconds)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, **kw)
    try:
        raw, _ = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole group: qemu children too, not just unshare
        raw, _ = proc.communicate()
        code, raw = -1, f"timed out after {timeout:.0f} s\n".encode() + (raw or b"")
    output = raw.decode(errors="replace")
    log.write_text(output)
    return code, output, time.perf_counter() - t0


HOST_CA = "/etc/ssl/certs/ca-certificates.crt"


class Guest:
    """Commands inside the root, one private mount namespace each: /proc with a Pi's cpuinfo, /dev, /sys, DNS.

    Without /sys, onnxruntime's cpuinfo prints errors on every start (a Pi has /sys).
    """

    def __init__(self, root: Path, cpu: str, logs: Path, name: str = "pi-check"):
        self.root, self.cpu, self.logs = root, cpu, logs
        self.home = f"/opt/{name}-{cpu}"  # this check's own corner of the shared root
        self.host_home = root / self.home.lstrip("/")
        self.env = guest_env(self.home, cpu)

    def path(self, guest_path: str) -> Path:
        return self.root / guest_path.lstrip("/")

    def run(self, name: str, command: str, timeout: float = 900) -> tuple[int, str, float]:
        root = shlex.quote(str(self.root))
        setup = (
            f"set -e; mount -t proc proc {root}/proc; "
            f"mount --bind {shlex.quote(str(self.host_home / 'cpuinfo'))} {root}/proc/cpuinfo; "
            f"mount --rbind /dev {root}/dev; mount --rbind /sys {root}/sys; "
            f"touch {root}/etc/resolv.conf; mount --bind /etc/resolv.conf {root}/etc/resolv.conf; "
            # The host's CA bundle as it is now, like its DNS: a CA the host gained after the root was built
            # (an HTTPS proxy's) would otherwise fail the guest's pip with CERTIFICATE_VERIFY_FAILED.
            f"if [ -f {HOST_CA} ]; then mount --bind {HOST_CA} {root}{HOST_CA}; fi; "
            f"exec chroot {root} /usr/bin/env -i {' '.join(shlex.quote(e) for e in self.env)} "
            f"/bin/bash -c {shlex.quote('set -euo pipefail; cd ~; ' + command)}"
        )
        return run_logged(["unshare", "-m", "--propagation", "private", "sh", "-c", setup],
                          self.logs / f"{self.cpu}-{name}.log", timeout)  # fmt: skip


class Native:
    """The same commands on this machine, for a real aarch64 host (the arm64 CI job): no emulator."""

    def __init__(self, work: Path, logs: Path):
        self.cpu, self.logs = "native", logs
        self.home = str(work / "home-native")
        self.host_home = Path(self.home)
        self.env = {**os.environ, "HOME": self.home}
        self.env.pop("DISPLAY", None)
        self.env.pop("WAYLAND_DISPLAY", None)

    def path(self, guest_path: str) -> Path:
        return Path(guest_path)

    def run(self, name: str, command: str, timeout: float = 900) -> tuple[int, str, float]:
        return run_logged(["bash", "-c", "set -euo pipefail; cd ~; " + command], self.logs / f"native-{name}.log",
                          timeout, env=self.env)  # fmt: skip


def guest_env(home: str, cpu: str) -> list[str]:
    """A clean environment (no DISPLAY), the CPU model, and the host's pip index/proxy settings."""
    env = {
        "HOME": home,
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        "QEMU_CPU": cpu,
        "PIP_CACHE_DIR": "/opt/pi-check-pip-cache",  # wheels are downloaded once per root, installed each run
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        # Byte-compiling every installed module (sympy alone: ~1,500 files) takes many minutes emulated;
        # the install commands stay INSTALL.md's. Python compiles what is imported on first use.
        "PIP_NO_COMPILE": "1",
        # venv's pip uses its own certifi bundle; the system one also holds the host's extra CAs.
        "PIP_CERT": "/etc/ssl/certs/ca-certificates.crt",
    }
    for key, value in os.environ.items():
        local = "file:" in value or value.startswith("/")  # the host's local wheel folders are x86 and absent
        if key.lower() in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):
            env[key] = value
        elif key in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "PIP_DEFAULT_TIMEOUT") and not local:
            env[key] = value
    index = pip_config("global.index-url")
    if index and "PIP_INDEX_URL" not in env and not index.startswith("file:"):
        env["PIP_INDEX_URL"] = index
    return [f"{k}={v}" for k, v in env.items()]


def pip_config(key: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "pip", "config", "get", key], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def qemu_version() -> str:
    if not Path("/usr/bin/qemu-aarch64-static").exists():
        return ""
    proc = subprocess.run(["/usr/bin/qemu-aarch64-static", "--version"], capture_output=True, text=True)
    match = re.search(r"version (\S+)", proc.stdout)
    return match.group(1) if match else ""
