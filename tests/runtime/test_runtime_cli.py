"""The `dae` command line as a device sees it: no TensorFlow, optional packages missing."""

import subprocess
import sys

from click.testing import CliRunner

from dae_runtime import __version__
from dae_runtime.cli import OPTIONAL_COMMANDS, main

# Runs in a fresh interpreter where TensorFlow, Keras and tf2onnx cannot be imported.
BLOCKED_HELP = """
import sys
for name in ("tensorflow", "keras", "tf2onnx"):
    sys.modules[name] = None
from click.testing import CliRunner
from dae_runtime.cli import main
commands = [[]] + [[name] for name in main.list_commands(None)]
for args in commands:
    result = CliRunner().invoke(main, args + ["--help"])
    assert result.exit_code == 0, (args, result.output, result.exception)
    assert "Usage:" in result.output, (args, result.output)
leaked = [m for m in ("tensorflow", "keras", "tf2onnx") if sys.modules.get(m) is not None]
assert not leaked, leaked
print("ok", len(commands))
"""


def test_version_and_help_list_every_command():
    runner = CliRunner()
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in OPTIONAL_COMMANDS:
        assert name in result.output


def test_help_of_every_command_works_without_tensorflow():
    proc = subprocess.run([sys.executable, "-c", BLOCKED_HELP], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok")


def test_missing_training_package_gives_an_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "dae_train", None)
    monkeypatch.setitem(sys.modules, "dae_train.cli", None)
    monkeypatch.setitem(sys.modules, "dae_export", None)
    monkeypatch.setitem(sys.modules, "dae_export.demo", None)
    runner = CliRunner()
    result = runner.invoke(main, ["train", "--data", "builtin", "--epochs", "1", "--out", "x"])
    assert result.exit_code == 1
    assert "dae-edge-train" in result.output and "pip install ./train" in result.output
    assert "Traceback" not in result.output
    listing = runner.invoke(main, ["--help"]).output
    assert "train" in listing


def test_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(main, ["fly"])
    assert result.exit_code == 2


def test_python_dash_m_runs_the_same_command_line():
    proc = subprocess.run(
        [sys.executable, "-m", "dae_runtime", "--version"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("dae, version") and __version__ in proc.stdout
