import json
import os
import stat

import pytest

from dae_runtime.atomic import atomic_path, write_json


def test_success_replaces_the_target(tmp_path):
    target = tmp_path / "sub" / "report.json"
    write_json(target, {"a": 1})
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600


def test_failure_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "model.keras"
    target.write_bytes(b"old model")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            assert tmp.suffix == ".keras"  # Keras insists on the extension
            tmp.write_bytes(b"half a mod")
            raise RuntimeError("crash mid-write")
    assert target.read_bytes() == b"old model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_temp_names_are_utf8_and_short_whatever_the_target(tmp_path):
    from dae_runtime.atomic import temp_beside

    for name in (os.fsdecode(b"b\xff.png"), "x" * 250 + ".png"):
        tmp = temp_beside(tmp_path / name)
        try:
            tmp.name.encode("utf-8")  # OpenCV can be given it
            assert len(os.fsencode(tmp.name)) < 255 and tmp.suffix == ".png"
        finally:
            tmp.unlink()
