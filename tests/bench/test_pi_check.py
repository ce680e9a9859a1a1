"""`make pi-check`'s own logic, without the emulator: what it shows the guest and how it judges."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks" / "pi"))  # as the script sees its folder
import pi_check  # noqa: E402
import pi_report  # noqa: E402
import pi_runners  # noqa: E402
import pi_steps  # noqa: E402


@pytest.mark.parametrize("cpu, part", [("cortex-a72", "0xd08"), ("cortex-a76", "0xd0b")])
def test_cpuinfo_looks_like_the_pi_of_that_cpu(cpu, part):
    text = pi_runners.cpuinfo_text(cpu)
    blocks = [b for b in text.split("\n\n") if b.startswith("processor")]
    assert len(blocks) == 4
    for block in blocks:
        assert "CPU implementer\t: 0x41" in block and f"CPU part\t: {part}" in block
        assert "CPU architecture: 8" in block and "Features\t: fp asimd" in block
    assert ("asimddp" in text) == (cpu == "cortex-a76")  # the Pi 4 has no dot product instructions


def test_the_install_steps_are_the_bundles_own_instructions():
    from dae_export.bundle import INSTRUCTIONS, SERVICE_INSTRUCTIONS

    text = INSTRUCTIONS.format(bundle_dir="dae-edge-rpi", wheel="dae_edge_runtime-1-py3-none-any.whl",
                               opencv_window="opencv-python", opencv_version="1", int8_types="u8s8",
                               service=SERVICE_INSTRUCTIONS, variants="")  # fmt: skip
    block = pi_steps.install_block(text).splitlines()
    assert block[0] == "tar xzf rpi-bundle.tar.gz && cd dae-edge-rpi"
    assert "pip install -r requirements-rpi.txt" in block
    assert "pip install --no-deps dae_edge_runtime-1-py3-none-any.whl" in block
    assert block[-1].startswith("dae verify .")
    assert not any("uninstall" in line for line in block)  # the optional window swap is not run
    assert not any("sudo" in line for line in block)  # nor the service's install (pi-check runs its command)
    with pytest.raises(ValueError):
        pi_steps.install_block("no commands here\n")


@pytest.mark.parametrize(
    "code, output, ok",
    [
        (1, "Error: no display: use --headless --out FILE\n", True),
        (2, "\nUsage error: no display\n\n", True),
        (0, "Error: no display\n", False),  # success is wrong without a display
        (134, "qt.qpa.xcb: could not connect to display\nAborted\n", False),
        (1, "Traceback (most recent call last):\n  ...\ncv2.error: ...\n", False),
        (1, "line one\nline two\n", False),
    ],
)
def test_no_display_must_be_one_line_and_exit_1_or_2(code, output, ok):
    assert pi_report.one_clear_line(code, output) is ok


def test_it_says_in_one_line_why_it_cannot_run(monkeypatch, tmp_path):
    monkeypatch.setattr(pi_runners.os, "geteuid", lambda: 1000)
    with pytest.raises(pi_runners.CannotRun, match="needs root"):
        pi_runners.check_host(tmp_path)


def test_the_guest_gets_the_cpu_model_no_display_and_no_local_wheel_folders(monkeypatch):
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("PIP_FIND_LINKS", "/opt/wheels")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")
    monkeypatch.setattr(pi_runners, "pip_config", lambda key: "")
    env = dict(e.split("=", 1) for e in pi_runners.guest_env("/opt/pi-check-cortex-a72", "cortex-a72"))
    assert env["QEMU_CPU"] == "cortex-a72" and env["HOME"] == "/opt/pi-check-cortex-a72"
    assert "DISPLAY" not in env and "PIP_FIND_LINKS" not in env
    assert env["HTTPS_PROXY"] == "http://proxy:3128"


def test_the_markdown_report_marks_failed_steps_and_missing_figures():
    step = {"name": "install", "ok": False, "seconds": 476.0, "detail": "exit 1"}
    cpu = {"python": "3.11.2", "opencv": "opencv-python-headless 5", "libgl_present": False, "steps": [step],
           "figures": {"int8_identical_to_x86": True}}  # fmt: skip
    text = pi_report.markdown({"cpus": {"cortex-a72": cpu}})
    assert "| install | 476 FAILED |" in text
    assert "| fp32 max abs diff vs Keras | - |" in text and "| int8 outputs identical to x86 | True |" in text


def test_the_entry_point_refuses_an_unknown_cpu_in_one_line(capsys, tmp_path):
    assert pi_check.main(["--cpus", "cortex-a53", "--report", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown CPU model cortex-a53" in err
    assert not (tmp_path / "r.json").exists()
