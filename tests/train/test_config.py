"""TrainConfig's checks for the augmentation and XLA settings, and the saved state's types."""

import pytest
from click.testing import CliRunner

from dae_train.config import TrainConfig


@pytest.mark.parametrize(
    ("setting", "message"),
    [({"rotate": -1.0}, "rotation must be 0 to 45 degrees"), ({"scale": 0.5}, "scale must be 0 or more and below 0.5")],
)
def test_out_of_range_augmentation_is_refused(setting, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**setting).validate()
    TrainConfig(rotate=12.0, scale=0.1).validate()  # in range: fine


def test_the_cli_refuses_them_before_any_work(tmp_path):
    from dae_train.cli import train

    result = CliRunner().invoke(train, ["--rotate", "50", "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and "--rotate" in result.output
    assert not (tmp_path / "run").exists()


def test_a_saved_state_keeps_xla_a_boolean():
    from dae_train.run_state import fresh_state, state_type_problem

    state = fresh_state(TrainConfig(xla=False))
    assert state_type_problem(state) is None
    state["config"]["xla"] = "yes"
    assert state_type_problem(state) == "config xla is str 'yes'"
    state["config"]["xla"], state["config"]["epochs"] = True, True  # a bool is not an epoch count
    assert state_type_problem(state) == "config epochs is bool True"


def test_a_blind_run_state_can_be_resumed():
    """noise_max is a float or None; the check once compared it with the type of its default (None)."""
    from dae_train.run_state import fresh_state, state_type_problem

    state = fresh_state(TrainConfig(noise=0.1, noise_max=0.7))
    assert state_type_problem(state) is None
    state["config"]["noise_max"] = 1  # JSON may hold a whole number: a valid float
    assert state_type_problem(state) is None
    state["config"]["noise_max"] = "0.7"
    assert state_type_problem(state) == "config noise_max is str '0.7'"


def test_a_run_saved_before_the_xla_setting_resumes_without_xla():
    saved = TrainConfig(epochs=7).to_dict()
    del saved["xla"]
    assert TrainConfig.from_saved(saved) == TrainConfig(epochs=7, xla=False)
    assert TrainConfig.from_saved(TrainConfig(xla=True).to_dict()).xla is True
