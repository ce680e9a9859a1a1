"""kill -9 while `dae train` saves its checkpoint, then `--resume`: the run ends with the same weights
as a run never interrupted (issue 12, defect 9: a kill between last.keras and state.json made the
resumed run train an epoch twice).

strace counts the run's renames (3 an epoch) and holds the n-th while we kill: the 5th and 6th are
in epoch 2's save (before this fix: last.keras landed, then state.json; now the state inside the
hidden checkpoint folder, then that folder's rename).
"""

import json
from pathlib import Path

import numpy as np
import pytest
from fault_tools import DAE, dae, kill_at_rename, needs_strace

pytestmark = [pytest.mark.slow, needs_strace()]

RUN = ("train", "--data", "builtin", "--epochs", "2", "--batch-size", "64", "--seed", "3")


def last_weights(out: Path) -> list[np.ndarray]:
    import keras

    newest = sorted((out / "checkpoints").glob("epoch-*/last.keras"))
    path = newest[-1] if newest else out / "checkpoints" / "last.keras"
    return keras.models.load_model(path).get_weights()


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    out = tmp_path_factory.mktemp("straight") / "run"
    result = dae(*RUN, "--out", out)
    assert result.returncode == 0, result.stderr
    return last_weights(out)


@pytest.mark.parametrize("n", [5, 6])
def test_kill_during_a_checkpoint_then_resume_is_exact(straight, tmp_path, n):
    out = tmp_path / "run"
    assert kill_at_rename([DAE, *RUN, "--out", out], n, "after", tmp_path / "strace.log")

    resumed = dae("train", "--resume", "--out", out)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    report = json.loads((out / "train_report.json").read_text())
    assert [h["epoch"] for h in report["history"]] == [1, 2]  # no epoch trained twice
    for a, b in zip(straight, last_weights(out), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
