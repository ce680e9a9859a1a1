"""Fault suite, training half (issue 12, defects 6 and 10): a damaged state.json or a text file given as
data is one line and exit code 1, and the run folder is left as it was."""

import json

import pytest
from click.testing import CliRunner

from dae_runtime.cli import main
from one_line_errors import Run, assert_one_line_error

GOOD_STATE = {"config": {"data": "builtin", "epochs": 3}, "epoch": 1, "history": [], "best_val_psnr_db": 10.0,
              "best_epoch": 1, "wait": 0, "elapsed_s": 1.0, "finished": False}  # fmt: skip


def invoke(*args) -> Run:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"epoch": "three"}, "epoch is str 'three'"),
        ({"history": {}}, "history is dict"),
        ({"wait": None}, "wait is NoneType"),
        ({"finished": "no"}, "finished is str"),
        ({"epoch": -2}, "negative"),
        ({"config": {"epochs": "5"}}, "config epochs is str '5'"),
        ({"config": {"batch_size": 0}}, "batch size must be at least 1"),
    ],
)
def test_resume_with_a_wrong_typed_state_is_one_line(tmp_path, change, fragment):
    before = saved_run(tmp_path, GOOD_STATE | change)
    run = invoke("train", "--resume", "--out", tmp_path)
    assert_one_line_error(run, "is damaged", fragment, code=1)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_a_text_file_as_npz_data_is_not_called_pickled(tmp_path):
    (tmp_path / "mnist.npz").write_text("just text")
    run = invoke("train", "--data", tmp_path / "mnist.npz", "--out", tmp_path / "run")
    line = assert_one_line_error(run, "not an .npz file", code=1)
    assert "pickled" not in line and not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "args, fragment, code",
    [
        (["--sigmas", "0.3,nan"], "finite noise levels", 2),
        (["--json", "{blocker}/rows.json"], "not a folder", 1),
    ],
)
def test_evaluate_refuses_before_loading_anything(tmp_path, args, fragment, code):
    """Checked before the model is even opened (it does not exist here): no evaluation is run and lost."""
    blocker = tmp_path / "a-file"
    blocker.write_text("keep")
    args = [a.replace("{blocker}", str(blocker)) for a in args]
    run = invoke("evaluate", "--model", tmp_path / "missing.keras", "--data", "builtin", *args)
    assert_one_line_error(run, fragment, code=code)
    assert blocker.read_text() == "keep"


def saved_run(tmp_path, state=None):
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "state.json").write_text(json.dumps(state or GOOD_STATE))
    (tmp_path / "checkpoints" / "last.keras").write_bytes(b"PK last")
    return {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}


def test_resume_refuses_settings_that_differ_from_the_runs(tmp_path):
    """Before, --resume --arch unet trained the run's own seed model and said nothing about --arch."""
    before = saved_run(tmp_path)
    run = invoke("train", "--resume", "--arch", "unet", "--epochs", "3", "--out", tmp_path)
    line = assert_one_line_error(run, "--resume continues the run", "arch unet (the run's: seed)", code=1)
    assert "epochs" not in line  # given, but the same as the run's
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_settings_left_at_their_defaults_or_given_alike_do_not_conflict():
    from dae_train.config import TrainConfig
    from dae_train.run_state import setting_conflicts

    saved = TrainConfig(arch="unet", epochs=3, noise=0.3).to_dict()
    assert setting_conflicts(TrainConfig(), saved, given=()) == ""
    assert setting_conflicts(TrainConfig(arch="unet", noise=0.3), saved, given={"arch", "noise", "noise_max"}) == ""
    assert setting_conflicts(TrainConfig(noise=0.5), saved, given={"noise"}) == "noise 0.5 (the run's: 0.3)"


def test_a_deeply_nested_state_is_one_line(tmp_path):
    saved_run(tmp_path)
    (tmp_path / "checkpoints" / "state.json").write_text("[" * 100_000 + "]" * 100_000)
    run = invoke("train", "--resume", "--out", tmp_path)
    assert_one_line_error(run, "state.json is unreadable", "nests 100,000 levels deep", code=1)
