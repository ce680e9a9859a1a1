"""`make pi-check`'s service steps without the emulator: the command it runs is the unit's, with the
environment file's values, and its judgements fail where they must."""

import shlex
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks" / "pi"))  # as the script sees its folder
import pi_service  # noqa: E402

from dae_export import systemd_unit  # noqa: E402


@pytest.fixture
def bundle(tmp_path):
    systemd_unit.write_service_files(tmp_path)
    return tmp_path


def test_it_runs_the_units_command_with_the_files_settings_in_a_service_environment(bundle):
    words = shlex.split(pi_service.service_command(bundle, "/opt/pi-check-x", 4999, "T" * 32, {"DAE_OPTIONS": "-v"}))
    assert words[:3] == ["env", "-i", "${QEMU_CPU:+QEMU_CPU=$QEMU_CPU}"]  # expanded by the guest's bash
    env = dict(w.split("=", 1) for w in words[3:] if "=" in w and not w.startswith(("-", "/")))
    argv = words[3 + len(env) :]
    assert argv == [
        "/usr/bin/setpriv", "--reuid=daemon", "--regid=daemon", "--init-groups", "/opt/pi-check-x/dae/bin/dae",
        "live", "--camera", "picam", "--model", "/opt/pi-check-x/dae-edge-rpi/model.int8.onnx",
        "--serve", "127.0.0.1:4999", "-v",
    ]  # fmt: skip
    assert env["DAE_LIVE_TOKEN"] == "T" * 32 and env["PYTHONUNBUFFERED"] == "1"  # the unit's Environment=
    assert env["PYTHONPATH"] == "/opt/pi-check-x/standins" and env["DAE_LIVE_STATUS_SECONDS"] == "2"
    assert "HOME" not in env and env["PATH"].startswith("/usr/local/sbin")


@pytest.mark.parametrize(
    "code, output, ok",
    [
        (1, "Serving the live view on ...\nlive status: fps=0.0\nError: Pi camera 0 gave no frame for 10 s\n", True),
        (0, "Error: Pi camera 0 gave no frame for 10 s\n", False),  # exit 0: systemd would not restart it
        (1, "Traceback (most recent call last):\nError: Pi camera 0 gave no frame\n", False),
        (1, "Error: cannot open Pi camera 0\n", False),  # another failure than the one provoked
        (-1, "timed out after 1200 s\n", False),  # hung: what capture_array without a timeout did
    ],
)
def test_a_camera_that_stops_must_end_dae_live_with_exit_1_and_one_line(code, output, ok):
    assert pi_service.camera_stopped(code, output) is ok


def test_the_status_lines_and_the_probe_are_judged(tmp_path):
    notes = {}

    def record(name, ok, detail):
        notes[name] = (ok, detail)

    probe = tmp_path / "probe.json"
    serving = "Serving the live view on http://127.0.0.1:4999/?token=abc\n"
    lines = "live status: fps=3.1 frames=9 digits=6.0 latency_ms=80 viewers=1\n"
    probe.write_text('{"without_token": 401, "with_token": 200, "jpegs": 4}\n')
    pi_service.judge_run(record, serving + lines + "Stopped.\n12 frames, pipeline 3 FPS (...)\n", probe, 4999)
    assert notes["service_status_lines"][0] and notes["service_token"][0] and notes["service_log_clean"][0]
    warning = "2026-12-06 [W:onnxruntime:Default, telemetry_1ds.cc:613] Failed to persist telemetry device ID\n"
    pi_service.judge_run(record, warning + serving + lines, probe, 4999)
    assert not notes["service_log_clean"][0] and "telemetry" in notes["service_log_clean"][1]
    probe.write_text('{"without_token": 200, "with_token": 200, "jpegs": 4}\n')  # the token not in force
    pi_service.judge_run(record, serving + lines.replace("viewers=1", "viewers=0"), probe, 4999)
    assert not notes["service_status_lines"][0] and not notes["service_token"][0]
    probe.unlink()
    pi_service.judge_run(record, serving, probe, 4999)
    assert notes["service_token"] == (False, '{"error": "no result in probe.json"}')


def test_verify_fails_on_a_broken_unit_a_missing_tool_or_a_root_without_setpriv(bundle, tmp_path, monkeypatch):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("no systemd-analyze here (apt-get install systemd)")
    root = tmp_path / "root"
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / "setpriv").write_bytes(b"")
    assert pi_service.verify_step(bundle, root)[0]
    assert pi_service.verify_step(bundle, tmp_path / "empty-root") == (False, "the Pi root has no /usr/bin/setpriv")
    unit = bundle / "dae-live.service"
    unit.write_text(unit.read_text().replace("RestartSec=15s", "RestartSec=soon"))
    ok, said = pi_service.verify_step(bundle, root)
    assert not ok and "Failed to parse sec value" in said
    monkeypatch.setattr(systemd_unit.shutil, "which", lambda name: None)
    assert pi_service.verify_step(bundle, root) == (False, "no systemd-analyze on this host (apt-get install systemd)")
