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
    from dae_train.trainer import _fresh_state, _state_type_problem

    state = _fresh_state(TrainConfig(xla=False))
    assert _state_type_problem(state) is None
    state["config"]["xla"] = "yes"
    assert _state_type_problem(state) == "config xla is str 'yes'"
    state["config"]["xla"], state["config"]["epochs"] = True, True  # a bool is not an epoch count
    assert _state_type_problem(state) == "config epochs is bool True"
