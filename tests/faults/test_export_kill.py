"""kill -9 at the worst moments of `dae export` into a folder holding a good export: afterwards
`dae verify OUT` passes (OUT holds the old export or the new one, whole), and the next export leaves
nothing of the killed one behind (issue 12, defects 3 and 4).

strace holds the export's first rename (the moment its files land in OUT) while we kill it, just
before or just after that rename. The shipped model is exported (fp32 only) over a copy of its
shipped export, so no training is needed.
"""

import shutil
from pathlib import Path

import pytest
from fault_tools import DAE, dae, kill_at_rename, needs_strace

pytestmark = [pytest.mark.slow, needs_strace()]

SEED = Path(__file__).resolve().parents[2] / "models" / "seed"


def leftovers(out: Path) -> list[str]:
    beside = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    inside = [p.name for p in out.iterdir() if p.name.startswith(".")]
    return beside + inside


@pytest.mark.parametrize("when", ["before", "after"])
def test_kill_at_the_first_rename_leaves_a_whole_export(tmp_path, when):
    out = tmp_path / "export"
    shutil.copytree(SEED / "export", out)
    old_manifest = (out / "manifest.json").read_bytes()
    assert dae("verify", out).returncode == 0

    export = [DAE, "export", "--model", SEED / "model.keras", "--out", out]
    assert kill_at_rename(export, 1, when, tmp_path / "strace.log"), "the export finished before its first rename"

    verified = dae("verify", out)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    if when == "before":
        assert (out / "manifest.json").read_bytes() == old_manifest  # untouched: the old export, whole
        again = dae("export", "--model", SEED / "model.keras", "--out", out)
        assert again.returncode == 0, again.stderr
        verified = dae("verify", out)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert leftovers(out) == []  # the killed run's staging folder is gone too
    else:
        assert (out / "manifest.json").read_bytes() != old_manifest  # the new export, whole
        assert not (out / "model.int8.onnx").exists()  # nothing of the old export mixed in
