"""A training run's saved state (checkpoints/epoch-N/state.json): read within limits, checked, or made fresh."""

from __future__ import annotations

import math
from collections.abc import Collection
from pathlib import Path

from dae_runtime.bounded_json import read_json
from dae_train.config import TrainConfig

MAX_STATE_BYTES = 64 << 20  # about 100 bytes an epoch of history: far beyond any run's


class TrainError(Exception):
    """A run that cannot start or continue; the message is for the user as is."""


_STATE_TYPES: dict[str, type | tuple[type, ...]] = {
    "epoch": int, "best_epoch": int, "wait": int, "history": list, "best_val_psnr_db": (int, float),
    "elapsed_s": (int, float), "finished": bool,
}  # fmt: skip


def state_type_problem(state: dict) -> str | None:
    """What is wrong with the saved state's types (a hand-edited or foreign state.json), or None."""
    for key, kind in _STATE_TYPES.items():
        value = state.get(key, False if key == "finished" else 0)
        if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
            return f"{key} is {type(value).__name__} {value!r}"
    if min(state["epoch"], state["best_epoch"], state["wait"]) < 0:
        return "a negative epoch count"
    accepted = TrainConfig.accepted_types()
    for key, value in state["config"].items():
        kinds = accepted.get(key)
        if kinds is not None and (isinstance(value, bool) != (bool in kinds) or not isinstance(value, kinds)):
            return f"config {key} is {type(value).__name__} {value!r}"
    try:
        TrainConfig.from_saved(state["config"]).validate()
    except (TypeError, ValueError) as exc:
        return f"config: {exc}"
    return None


def setting_conflicts(cfg: TrainConfig, saved: dict, given: Collection[str]) -> str:
    """The settings in `given` (the ones the user typed) on which `cfg` and a run's saved config differ."""
    mine, theirs = cfg.to_dict(), TrainConfig.from_saved(saved).to_dict()
    return ", ".join(f"{k} {mine[k]} (the run's: {theirs[k]})" for k in sorted(given) if mine[k] != theirs[k])


def read_saved_state(path: Path, out: Path, cfg: TrainConfig, given: Collection[str] = ()) -> dict:
    """The state to resume the run in `out` from, checked; TrainError says why it cannot be."""
    try:
        state = read_json(path, MAX_STATE_BYTES)
    except (OSError, ValueError) as exc:
        raise TrainError(f"{path} is unreadable ({exc}); cannot resume") from None
    needed = {"config", "epoch", "history", "best_val_psnr_db", "best_epoch", "wait", "elapsed_s"}
    if not isinstance(state, dict) or not needed <= set(state) or not isinstance(state["config"], dict):
        raise TrainError(f"{path} is not a dae-edge training state; cannot resume")
    problem = state_type_problem(state)
    if problem:
        raise TrainError(f"{path} is damaged ({problem}); cannot resume")
    if state.get("finished"):
        raise TrainError(f"the run in {out} already finished at epoch {state['epoch']}; nothing to resume")
    conflicts = setting_conflicts(cfg, state["config"], given)
    if conflicts:
        raise TrainError(
            f"--resume continues the run in {out} with its saved settings, but you gave {conflicts}: "
            "drop them, or start a new run with another --out"
        )
    return state


def fresh_state(cfg: TrainConfig) -> dict:
    """The saved state of a run before its first epoch."""
    return {
        "config": cfg.to_dict(),
        "epoch": 0,
        "history": [],
        "best_val_psnr_db": -math.inf,
        "best_epoch": 0,
        "wait": 0,
        "finished": False,
        "elapsed_s": 0.0,
    }
