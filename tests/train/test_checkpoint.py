"""Checkpoints are one unit: the newest complete epoch folder wins, a half-written one is ignored."""

import json

import pytest

from dae_train import checkpoint


class FakeModel:
    def __init__(self, tag):
        self.tag = tag

    def save(self, path):
        path.write_text(self.tag)


def test_the_newest_complete_checkpoint_is_used_and_older_ones_go(tmp_path):
    folder = tmp_path / "checkpoints"
    assert checkpoint.latest(folder) == folder  # nothing yet: the pre-epoch-folder layout's place
    checkpoint.save(folder, 1, FakeModel("one"), {"epoch": 1})
    checkpoint.save(folder, 2, FakeModel("two"), {"epoch": 2})
    newest = checkpoint.latest(folder)
    assert newest.name == "epoch-0002"
    assert (newest / "last.keras").read_text() == "two"
    assert json.loads((newest / "state.json").read_text()) == {"epoch": 2}
    assert sorted(p.name for p in folder.iterdir()) == ["epoch-0002"]


def test_a_save_killed_half_way_is_ignored_and_cleaned(tmp_path):
    folder = tmp_path / "checkpoints"
    checkpoint.save(folder, 1, FakeModel("one"), {"epoch": 1})
    half = folder / ".epoch-0002.abc.tmp"  # what a kill -9 during epoch 2's save leaves
    half.mkdir()
    (half / "last.keras").write_text("two")
    assert checkpoint.latest(folder).name == "epoch-0001"  # model and state of the same epoch
    checkpoint.save(folder, 2, FakeModel("two"), {"epoch": 2})
    assert sorted(p.name for p in folder.iterdir()) == ["epoch-0002"]


def test_a_failing_save_keeps_the_previous_checkpoint(tmp_path):
    folder = tmp_path / "checkpoints"
    checkpoint.save(folder, 1, FakeModel("one"), {"epoch": 1})

    class Broken(FakeModel):
        def save(self, path):
            path.write_text("half")
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        checkpoint.save(folder, 2, Broken("two"), {"epoch": 2})
    assert sorted(p.name for p in folder.iterdir()) == ["epoch-0001"]
    assert (folder / "epoch-0001" / "last.keras").read_text() == "one"
