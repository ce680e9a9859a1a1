import json
import os
import stat
from pathlib import Path

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


def test_a_killed_writers_temp_file_is_removed_by_the_next_write_of_that_target(tmp_path):
    target = tmp_path / "page.denoised.png"
    stale = tmp_path / ".page.denoised.k1ll3d_x.tmp.png"  # what a kill -9 mid-write leaves
    stale.write_bytes(b"half a png")
    others = [
        ".page.denoised.backup.tmp.png",  # not 8 random characters: a user's file
        ".page.denoised.abcdefgh.tmp.jpg",  # another suffix
        ".other.abcdefgh.tmp.png",  # another target's
        "page.denoised.abcdefgh.tmp.png",  # not hidden
    ]
    for name in others:
        (tmp_path / name).write_bytes(b"keep")
    write_json(tmp_path / "unrelated.json", {})  # another target: its write leaves them alone
    assert stale.exists()
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"png")
    assert not stale.exists() and target.read_bytes() == b"png"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*others, "page.denoised.png", "unrelated.json"])


def test_a_temp_file_another_process_is_writing_is_left_alone(tmp_path):
    # Its writer holds the lock: a second dae writing the same target must not take it for a leftover.
    import subprocess
    import sys

    target = tmp_path / "out.json"
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom dae_runtime.atomic import temp_beside\n"
            "print(temp_beside(sys.argv[1]), flush=True)\ntime.sleep(60)",
            str(target),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        theirs = Path(writer.stdout.readline().strip())
        assert theirs.exists()
        write_json(target, {"a": 1})
        assert theirs.exists()  # still there: its writer is alive
    finally:
        writer.kill()
        writer.wait()
    write_json(target, {"a": 2})
    assert not theirs.exists()  # its writer is dead now


def test_temp_names_are_utf8_and_short_whatever_the_target(tmp_path):
    from dae_runtime.atomic import release, temp_beside

    for name in (os.fsdecode(b"b\xff.png"), "x" * 250 + ".png"):
        tmp = temp_beside(tmp_path / name)
        try:
            tmp.name.encode("utf-8")  # OpenCV can be given it
            assert len(os.fsencode(tmp.name)) < 255 and tmp.suffix == ".png"
        finally:
            tmp.unlink()
            release(tmp)
