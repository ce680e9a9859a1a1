"""What scripts and pipes expect of every command: `--json -` is pure JSON on stdout, `--quiet` keeps
only errors and the result, and TensorFlow prints nothing in front of the toolkit's own lines."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from dae_runtime.cli import main
from dae_runtime.denoiser import Denoiser
from dae_runtime.noise import gaussian
from dae_runtime.synthetic import synthetic_digits

SHIPPED_KERAS = Path(__file__).resolve().parents[2] / "models" / "seed" / "model.keras"
QUICK = ["--batch", "1,4", "--iters", "3", "--warmup", "1"]


@pytest.fixture(scope="module")
def golden(tmp_path_factory) -> Path:
    clean = synthetic_digits(16)[..., None]
    noisy = gaussian(clean, 0.5, np.random.default_rng(0))
    path = tmp_path_factory.mktemp("golden") / "golden.npz"
    np.savez(path, noisy=noisy, clean=clean, keras=Denoiser().denoise_batch(noisy)[..., None])
    return path


def dae(*args, cwd: Path) -> subprocess.CompletedProcess:
    """`dae ARGS` as a shell runs it, with the real stdout and stderr kept apart."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as a user's shell has it
    command = [sys.executable, "-m", "dae_runtime", *map(str, args)]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_compare_json_dash_is_pure_json_on_stdout_and_creates_no_file(golden, tmp_path):
    run = dae("compare", "--golden", golden, *QUICK, "--json", "-", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert [row["batch"] for row in data["latency"]] == [1, 4]
    assert "| batch |" in run.stderr  # the human table moved to stderr, it is still shown
    assert not (tmp_path / "-").exists() and list(tmp_path.iterdir()) == []


def test_compare_quiet_drops_the_progress_but_keeps_the_result(golden, tmp_path):
    args = ["compare", "--golden", str(golden), *QUICK, "--json", str(tmp_path / "r.json")]
    loud = CliRunner().invoke(main, args)
    quiet = CliRunner().invoke(main, [*args, "--quiet"])
    assert loud.exit_code == quiet.exit_code == 0, quiet.output
    assert "Timing" in loud.stderr  # the progress bar's label, so the check below can fail
    assert "Timing" not in quiet.output and quiet.stderr == ""
    assert "PSNR" in quiet.stdout and "| batch |" in quiet.stdout
    assert json.loads((tmp_path / "r.json").read_text())["latency"]


def test_compare_quiet_still_reports_errors(tmp_path):
    bad = tmp_path / "golden.npz"
    bad.write_bytes(b"not a zip")
    result = CliRunner().invoke(main, ["compare", "--golden", str(bad), "-q"])
    assert result.exit_code == 1 and "not a readable golden.npz" in result.stderr


def test_denoise_quiet_drops_the_progress_bar(tmp_path):
    import cv2

    for i, digit in enumerate(synthetic_digits(2)):
        cv2.imwrite(str(tmp_path / f"d{i}.png"), (digit * 255).astype(np.uint8))
    args = ["denoise", str(tmp_path / "d0.png"), str(tmp_path / "d1.png")]
    loud = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "a")])
    quiet = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "b"), "-q"])
    assert loud.exit_code == quiet.exit_code == 0, quiet.output
    assert "Denoising" in loud.stderr
    assert quiet.stderr == "" and "2 file(s) written" in quiet.stdout
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["d0.denoised.png", "d1.denoised.png"]


@pytest.mark.slow
def test_evaluate_json_dash_and_quiet_without_tensorflow_lines(tmp_path):
    args = ["evaluate", "--model", SHIPPED_KERAS, "--data", "builtin", "--limit", "20", "--sigmas", "0.5"]
    run = dae(*args, "--no-baselines", "--json", "-", "--quiet", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)["rows"]
    assert {row["sigma"] for row in rows} == {0.5} and len(rows) == 2  # the noisy input and the autoencoder
    assert run.stderr.lstrip().startswith("|"), run.stderr  # the table first: no TensorFlow start-up lines
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_export_shows_its_own_steps_first_and_quiet_shows_only_the_summary(tmp_path):
    loud = dae("export", "--model", SHIPPED_KERAS, "--out", tmp_path / "a", cwd=tmp_path)
    assert loud.returncode == 0, loud.stderr
    assert loud.stderr.startswith("[1/"), loud.stderr  # TensorFlow's absl/CUDA lines would come first
    assert all(line.startswith(("[", " ")) for line in loud.stderr.splitlines()), loud.stderr
    quiet = dae("export", "--model", SHIPPED_KERAS, "--out", tmp_path / "b", "--quiet", cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    assert quiet.stdout.startswith(f"Exported to {tmp_path / 'b'}")  # the summary: its first line has the time
    assert quiet.stdout.splitlines()[1:] == loud.stdout.splitlines()[1:]


@pytest.mark.slow
def test_train_quiet_prints_only_the_result(tmp_path):
    run = dae(
        "train",
        "--data",
        "builtin",
        "--epochs",
        "1",
        "--batch-size",
        "64",
        "--out",
        tmp_path / "run",
        "-q",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # no TensorFlow lines and no Keras epoch lines
    assert run.stdout.startswith("Best epoch 1: validation PSNR"), run.stdout
    assert "Training" not in run.stdout and "Epoch" not in run.stdout and "step" not in run.stdout
    assert (tmp_path / "run" / "model.keras").is_file()


@pytest.mark.parametrize("option", ["--markdown", "--plot", "--github-benchmark"])
def test_only_json_writes_to_stdout_the_other_outputs_refuse_a_dash(option, golden, tmp_path, monkeypatch):
    """'-' for a file option once wrote a file named '-' after the whole measurement."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["compare", "--golden", str(golden), *QUICK, option, "-"])
    assert result.exit_code == 2 and "'-' is not stdout here" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "command",
    [
        ["denoise", "x.png"],
        ["export", "--model", "m.keras"],
        ["train", "--data", "builtin"],
        ["demo"],
        ["live", "--headless"],  # a file, not a folder
    ],
)
def test_output_paths_refuse_a_dash(command, tmp_path, monkeypatch):
    """`--out -` made a folder named '-' where a shell user reads stdout."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [*command, "--out", "-"])
    assert result.exit_code == 2 and "'-' is not stdout here" in result.output, result.output
    assert list(tmp_path.iterdir()) == []
