"""The Pi bundle's systemd service: `dae live --camera picam --serve 0.0.0.0:4912` at boot, restarted when
it fails, its output in the journal; every setting in one environment file. Also how systemd reads the
two files (for `make pi-check`, which runs the unit's command line) and `systemd-analyze verify`.

systemd takes User= only from the unit, never from an environment file, and the executable of ExecStart=
must be a literal path. So the unit runs /usr/bin/setpriv (util-linux, on every Raspberry Pi OS), which
becomes $DAE_USER with its groups (video: the camera) and runs $DAE_VENV/bin/dae: the user, the venv,
the model, the camera, the address and the token all live in /etc/dae-live.env.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

UNIT_FILE = "dae-live.service"
ENV_FILE = "dae-live.env"
ENV_PATH = "/etc/dae-live.env"  # where the unit reads it

UNIT = f"""# dae-live.service: `dae live` from the Pi camera to browsers on the LAN, started at boot,
# restarted when it fails; its output, a line of figures a minute, goes to the journal
# (journalctl -u dae-live). Every setting: {ENV_PATH}. How to install: INSTALL.md.
[Unit]
Description=dae-edge live view: denoised digits from the camera, in a browser
Wants=network-online.target
After=network-online.target
# Five failed starts within ten minutes: give up (systemctl status says failed) rather than loop on a
# camera that is gone. `sudo systemctl reset-failed dae-live && sudo systemctl start dae-live` retries.
StartLimitIntervalSec=10min
StartLimitBurst=5

[Service]
Type=exec
EnvironmentFile={ENV_PATH}
# User= cannot come from an environment file: setpriv becomes $DAE_USER (and its group of the same
# name, and its groups: video for the camera), then runs dae from the venv.
ExecStart=/usr/bin/setpriv --reuid=${{DAE_USER}} --regid=${{DAE_USER}} --init-groups \\
    ${{DAE_VENV}}/bin/dae live --camera ${{DAE_CAMERA}} --model ${{DAE_MODEL}} --serve ${{DAE_SERVE}} $DAE_OPTIONS
# dae live exits 1 when the camera stops giving frames or a stream stays away: start it again.
Restart=on-failure
RestartSec=15s
# Exit 2 is a usage error (a mistake in {ENV_PATH}): starting again cannot fix it.
RestartPreventExitStatus=2
TimeoutStopSec=20s
SyslogIdentifier=dae-live
# onnxruntime keeps an identifier under $XDG_CACHE_HOME (else ~/.cache, read-only here) and warns in
# the journal at every start when it cannot: the private /tmp, emptied at each start.
Environment=PYTHONUNBUFFERED=1 XDG_CACHE_HOME=/tmp

# Hardening that leaves the camera alone. dae live --serve writes no file: the whole file system is
# read-only to it but a private /tmp. System calls: only groups it never makes are denied, with EPERM
# rather than a kill. Not set on purpose: PrivateDevices= and ProtectClock= (their device allow-list
# hides /dev/video*, /dev/media* and /dev/dma_heap from libcamera), ProcSubset=pid (onnxruntime reads
# /proc/cpuinfo), MemoryDenyWriteExecute= (Python's ctypes callbacks may need such memory), and an
# allow-list SystemCallFilter= (never tried with a real camera).
NoNewPrivileges=yes
CapabilityBoundingSet=CAP_SETUID CAP_SETGID
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectHostname=yes
ProtectProc=invisible
PrivateMounts=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
SystemCallArchitectures=native
SystemCallFilter=~@clock @cpu-emulation @debug @module @mount @obsolete @raw-io @reboot @swap
SystemCallErrorNumber=EPERM
UMask=0077

[Install]
WantedBy=multi-user.target
"""

ENV = f"""# {ENV_PATH}: every setting of dae-live.service. systemd reads it as root before dae starts:
# keep it root's, mode 600 (it holds the token). After a change: sudo systemctl restart dae-live
# INSTALL.md's commands fill in DAE_USER, DAE_VENV, DAE_MODEL and a new DAE_LIVE_TOKEN.

# Who runs dae live: a user in the video group (the camera) with a group of its own name; not root.
DAE_USER=pi
# The venv holding the dae-edge runtime, made with --system-site-packages (apt's picamera2).
DAE_VENV=/home/pi/dae
# The model: the bundle's int8 model where `tar xzf rpi-bundle.tar.gz` put it (model.onnx: fp32).
DAE_MODEL=/home/pi/dae-edge-rpi/model.int8.onnx
# The camera: picam (the Pi Camera Module), picam:1 (a second one), 0 or /dev/video0 (a USB webcam).
DAE_CAMERA=picam
# Where browsers reach it: 0.0.0.0:4912 (the LAN), 127.0.0.1:4912 (this Pi only, or through ssh -L).
DAE_SERVE=0.0.0.0:4912
# The token browsers give (http://raspberrypi.local:4912/?token=TOKEN), 16-256 of A-Z a-z 0-9 - _ . ~
# A new one: python3 -c 'import secrets; print(secrets.token_urlsafe(24))'
# Empty: dae live makes a new random one at every start and prints it in the journal.
DAE_LIVE_TOKEN=
# More dae live options, e.g. --width 1280 --height 720 --fps 15 --add-noise 0.2 --threads 2
DAE_OPTIONS=
"""


def write_service_files(folder: Path) -> list[str]:
    """The unit and its environment file into the bundle's folder; their names."""
    (folder / UNIT_FILE).write_text(UNIT)
    (folder / ENV_FILE).write_text(ENV)
    return [UNIT_FILE, ENV_FILE]


def read_env_file(text: str) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile= reads them: # and ; start comments, blank lines are
    skipped, whitespace around key and value goes, and one pair of enclosing quotes is removed."""
    env = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key.strip()):
            raise ValueError(f"not a KEY=VALUE line: {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def exec_start(unit: str, env: dict[str, str]) -> list[str]:
    """The unit's ExecStart= as the argv systemd runs: ${NAME} becomes the value as it is, within one
    word; a word that is $NAME alone becomes the value split at whitespace (zero or more words)."""
    joined = re.sub(r"\\\n", " ", unit)  # continuation lines
    lines = [line for line in joined.splitlines() if line.startswith("ExecStart=")]
    if len(lines) != 1:
        raise ValueError(f"the unit has {len(lines)} ExecStart= lines, not one")
    argv: list[str] = []
    for word in shlex.split(lines[0].partition("=")[2]):
        alone = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if alone:
            argv += env.get(alone.group(1), "").split()
        else:
            argv.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env.get(m.group(1), ""), word))
    return argv


def unit_environment(unit: str) -> dict[str, str]:
    """The unit's own Environment=KEY=VALUE settings (values without spaces or quotes, as this unit has)."""
    lines = [line.partition("=")[2] for line in unit.splitlines() if line.startswith("Environment=")]
    return dict(pair.split("=", 1) for line in lines for pair in line.split())


def verify_unit(path: Path) -> list[str] | None:
    """What `systemd-analyze verify` says is wrong with the unit file at `path` (named NAME.service); None
    where systemd-analyze is missing. Its exit code alone passes unknown keys and bad values ("...,
    ignoring"), so every line it prints about this unit counts too."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        return None
    proc = subprocess.run([tool, "verify", "--man=no", str(path)], capture_output=True, text=True, timeout=120)
    said = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    problems = [line for line in said if path.name in line or str(path) in line]
    if proc.returncode != 0 and not problems:
        problems = said or [f"systemd-analyze verify exited with {proc.returncode}"]
    return problems
