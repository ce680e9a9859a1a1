"""pi-check's service steps: the bundle's dae-live.service as systemd would run it on the Pi, and its verify.

On each CPU the unit's ExecStart= runs with the values of its environment file (read and expanded the
way systemd does: dae_export.systemd_unit), in a clean environment like a service's, with the
picamera2 stand-in (tests/runtime/standins) on PYTHONPATH in place of apt's python3-picamera2. What
pi-check sets in that file: the user (SERVICE_USER: the root has no Pi user, and pi-check does not
add one to the shared root), the venv and model where its install put them, a loopback address on a
free port (the guest shares this host's network) and a fresh token; the camera stays the file's
`picam`. A probe (service_probe.py, in the guest) checks that the token is the one in force and
watches the stream, so that the status lines count a viewer. A second run with a camera that stops
giving frames must end with exit 1 and one line: what makes systemd restart it. On the host,
`systemd-analyze verify` must accept the unit without a word (it passes unknown keys with exit 0).
"""

from __future__ import annotations

import importlib
import json
import re
import secrets
import shlex
import shutil
import socket
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
STANDINS = REPO / "tests" / "runtime" / "standins"
SERVICE_USER = "daemon"  # in Debian's base system, unprivileged, with a group of its own name
STATUS_SECONDS = 2  # the hidden $DAE_LIVE_STATUS_SECONDS: a line every 2 s instead of every minute
SERVICE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # what systemd gives a service
# dae's own lines; on a CPU with the dot product also the one naming the bundle's int8 file it loads
OWN_LINE = re.compile(
    r"^(Serving the live view on |live status: |Stopped\.$|\d+ frames, pipeline |\S+: using \S+, its variant )"
)
STATUS = re.compile(r"^live status: fps=\S+ frames=(\d+) digits=(\S+) latency_ms=\d+ viewers=(\d+)$", re.M)


def systemd_unit():
    """dae_export.systemd_unit; the native arm64 job runs Debian's python3, which has only the checkout."""
    try:
        return importlib.import_module("dae_export.systemd_unit")
    except ImportError:
        sys.path.insert(0, str(REPO / "export" / "src"))
        return importlib.import_module("dae_export.systemd_unit")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def service_command(bundle: Path, home: str, port: int, token: str, extra: dict[str, str]) -> str:
    """The unit's command line with pi-check's settings, as one shell command for the runner."""
    su = systemd_unit()
    unit = (bundle / su.UNIT_FILE).read_text()
    settings = su.read_env_file((bundle / su.ENV_FILE).read_text())
    settings.update(
        DAE_USER=SERVICE_USER,
        DAE_VENV=f"{home}/dae",
        DAE_MODEL=f"{home}/dae-edge-rpi/model.int8.onnx",
        DAE_SERVE=f"127.0.0.1:{port}",
        DAE_LIVE_TOKEN=token,
    )
    settings.update(extra)
    env = {"PATH": SERVICE_PATH, "LANG": "C.UTF-8", **settings, **su.unit_environment(unit)}
    env |= {"PYTHONPATH": f"{home}/standins", "DAE_LIVE_STATUS_SECONDS": str(STATUS_SECONDS)}
    qemu = '${QEMU_CPU:+QEMU_CPU="$QEMU_CPU"}'  # the runner's CPU model survives env -i (a native runner has none)
    pairs = " ".join(shlex.quote(f"{k}={v}") for k, v in env.items())
    return f"env -i {qemu} {pairs} {shlex.join(su.exec_start(unit, settings))}"


def run_checks(step, record, runner, bundle: Path) -> None:
    """The unit's user; its command line with a viewer, stopped by SIGTERM like `systemctl stop`; and its
    exit when the camera stops. `step` runs a guest command, `record` notes a judgement as a step."""
    home = runner.home
    shutil.copytree(STANDINS, runner.host_home / "standins", dirs_exist_ok=True)
    shutil.copy2(HERE / "service_probe.py", runner.host_home)
    su = systemd_unit()
    argv = su.exec_start((bundle / su.UNIT_FILE).read_text(), {"DAE_USER": SERVICE_USER})
    # setpriv's part of the command line, with `id` in place of dae: whom the service runs as
    step("service_user", f"{shlex.join(argv[:4])} /usr/bin/id -un", lambda c, o: c == 0 and o.split() == [SERVICE_USER])
    port, token = free_port(), secrets.token_urlsafe(24)
    run = (
        f"rm -f probe.json; python3 service_probe.py {port} {token} > probe.json 2>&1 & probe=$!; "
        f"{service_command(bundle, home, port, token, {})} & dae=$!; "
        "trap 'kill $probe $dae 2>/dev/null || true' EXIT; "
        # the probe done, or dae ended early (then its own exit code, not the probe's 15 min of waiting)
        "wait -n $probe $dae || true; kill -TERM $dae 2>/dev/null || true; wait $dae"
    )
    output = step("service_run", run, lambda c, o: c == 0 and "Stopped." in o, timeout=1800)
    judge_run(record, output, runner.path(f"{home}/probe.json"), port)
    stalled = service_command(bundle, home, free_port(), token, {"DAE_STANDIN_PICAM_STALL_AFTER": "3"})
    step("service_camera_stops", stalled, camera_stopped, timeout=1200)


def judge_run(record, output: str, probe_file: Path, port: int) -> None:
    """The served run's status lines and the probe's findings."""
    lines = STATUS.findall(output)
    serving = f"Serving the live view on http://127.0.0.1:{port}/?token=" in output
    busy = [line for line in lines if float(line[1]) > 0]
    watched = [line for line in lines if line[2] == "1"]
    said = f"{len(lines)} status lines, {len(busy)} with digits, {len(watched)} with a viewer; serving: {serving}"
    record("service_status_lines", bool(serving and busy and watched), said)
    # What goes to the journal: dae's own lines only (no library warnings at every start)
    others = [line for line in output.splitlines() if line.strip() and not OWN_LINE.match(line)]
    record("service_log_clean", not others, f"{len(others)} other lines: {others[:2]}")
    try:
        probe = json.loads(probe_file.read_text().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        probe = {"error": f"no result in {probe_file.name}"}
    ok = probe.get("with_token") == 200 and probe.get("without_token") == 401 and probe.get("jpegs", 0) > 0
    record("service_token", ok, json.dumps(probe))


def camera_stopped(code: int, output: str) -> bool:
    """Exit 1 with one clear last line and no traceback: systemd's Restart=on-failure starts it again."""
    lines = [line for line in output.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return code == 1 and last.startswith("Error: Pi camera 0 gave no frame") and "Traceback" not in output


def verify_step(bundle: Path, root: Path | None) -> tuple[bool, str]:
    """systemd-analyze verify on the bundle's unit (here: its ExecStart binary has the same path as on the
    Pi), and that binary in the Pi root."""
    su = systemd_unit()
    problems = su.verify_unit(bundle / su.UNIT_FILE)
    if problems is None:
        return False, "no systemd-analyze on this host (apt-get install systemd)"
    if problems:
        return False, problems[0][:300]
    binary = su.exec_start((bundle / su.UNIT_FILE).read_text(), {})[0]
    if root is not None and not (root / binary.lstrip("/")).is_file():
        return False, f"the Pi root has no {binary}"
    return True, f"systemd-analyze verify: no problem; {binary} in the Pi root: {root is not None}"
