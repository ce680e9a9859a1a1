"""The export publish step on its own: an atomic folder swap, its fallback, user files, leftovers."""

import json
import os
import signal
import stat
import subprocess

import pytest

from dae_export import publish


def make_export(folder, tag):
    folder.mkdir()
    (folder / "model.onnx").write_text(f"model {tag}")
    (folder / "manifest.json").write_text(json.dumps({"files": {"model.onnx": {"sha256": tag}}}))
    return folder


@pytest.fixture(params=["renameat2", "fallback"])
def swap_mode(request, monkeypatch):
    if request.param == "fallback":
        monkeypatch.setattr(publish, "exchange", lambda a, b: False)
    elif publish._renameat2() is None:
        pytest.skip("no renameat2 in this C library: the fallback variant runs")
    return request.param


def test_swap_replaces_the_export_and_keeps_user_files(tmp_path, swap_mode):
    out = make_export(tmp_path / "out", "old")
    (out / "model.int8.onnx").write_text("old int8")  # part of the old export only
    (out / "notes.txt").write_text("mine")
    (out / "scripts").mkdir()
    (out / "scripts" / "run.sh").write_text("echo hi")
    (out / ".dae-export-abc12_yz").mkdir()  # a user's folder that looks like a stage: stages are beside OUT
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"]["model.int8.onnx"] = {"sha256": "x"}
    (out / "manifest.json").write_text(json.dumps(manifest))

    stage = publish.new_stage(out)
    make_export(stage / "x", "new")  # build the new export's files in the stage
    for f in (stage / "x").iterdir():
        f.rename(stage / f.name)
    (stage / "x").rmdir()
    publish.carry_user_files(out, stage, {"model.onnx", "model.int8.onnx"})
    inode = os.stat(out / "notes.txt").st_ino
    publish.remove_old(publish.swap_into_place(stage, out))

    assert (out / "model.onnx").read_text() == "model new"
    assert not (out / "model.int8.onnx").exists()
    assert (out / "notes.txt").read_text() == "mine" and os.stat(out / "notes.txt").st_ino == inode  # hard link
    assert (out / "scripts" / "run.sh").read_text() == "echo hi"
    assert (out / ".dae-export-abc12_yz").is_dir()  # only folders beside OUT with dae's names are dae's
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no stage, no old copy beside OUT


def test_stage_gets_the_permissions_of_out(tmp_path):
    out = make_export(tmp_path / "out", "old")
    os.chmod(out, 0o755)
    assert os.stat(publish.new_stage(out)).st_mode & 0o777 == 0o755  # not mkdtemp's 0700


def test_the_next_export_repairs_a_fallback_swap_cut_in_half(tmp_path):
    """Without RENAME_EXCHANGE a kill between the two renames leaves no OUT and the old export whole
    under .<OUT>.dae-old-*: the next export's first step puts it back (documented in publish.py)."""
    out = tmp_path / "out"
    old = make_export(tmp_path / ".out.dae-old-1234abcd", "old")
    stale_stage = make_export(tmp_path / ".out.dae-export-zzzz9999", "half")  # mkdtemp: 8 characters
    publish.clean_leftovers(out)
    assert (out / "model.onnx").read_text() == "model old"
    assert not old.exists() and not stale_stage.exists()


def test_exchange_swaps_two_folders_in_one_call(tmp_path):
    if publish._renameat2() is None:
        pytest.skip("no renameat2 in this C library")
    a, b = make_export(tmp_path / "a", "A"), make_export(tmp_path / "b", "B")
    assert publish.exchange(a, b)
    assert (a / "model.onnx").read_text() == "model B" and (b / "model.onnx").read_text() == "model A"
    with pytest.raises(FileNotFoundError):
        publish.exchange(a, tmp_path / "missing")


def test_user_folders_named_like_leftovers_are_kept(tmp_path):
    """Only the exact names an export makes (.<OUT>.dae-export- / .dae-old- plus 8 random characters)
    are leftovers: a user's `.out.dae-old-backup` beside OUT, or `.dae-export-notes` in it, is not."""
    out = make_export(tmp_path / "out", "current")
    (out / ".dae-export-notes").mkdir()
    (out / ".dae-export-notes" / "todo.txt").write_text("mine")
    backup = make_export(tmp_path / ".out.dae-old-backup", "backup")
    mine = make_export(tmp_path / ".out.dae-export-my-copy", "mine")
    publish.clean_leftovers(out)
    assert (backup / "model.onnx").read_text() == "model backup"
    assert (mine / "model.onnx").read_text() == "model mine"
    assert (out / ".dae-export-notes" / "todo.txt").read_text() == "mine"
    stage = publish.new_stage(out)  # and the next export carries it over like any user folder
    publish.carry_user_files(out, stage, {"model.onnx"})
    publish.remove_old(publish.swap_into_place(stage, out))
    publish.release_stage(stage)
    assert (out / ".dae-export-notes" / "todo.txt").read_text() == "mine"


def test_a_user_folder_named_like_an_old_export_is_not_moved_onto_a_missing_out(tmp_path):
    out = tmp_path / "out"
    backup = make_export(tmp_path / ".out.dae-old-2025-backup", "backup")
    publish.clean_leftovers(out)
    assert not out.exists() and (backup / "model.onnx").read_text() == "model backup"


def test_a_running_exports_stage_survives_another_exports_cleanup(tmp_path):
    """Two exports into one OUT: the second one's first step must not delete the stage the first is
    building in (it is held locked for as long as its export runs)."""
    out = make_export(tmp_path / "out", "old")
    stage = publish.new_stage(out)
    try:
        (stage / "model.onnx").write_text("half written")
        publish.clean_leftovers(out)
        assert (stage / "model.onnx").read_text() == "half written"
    finally:
        publish.release_stage(stage)
    publish.clean_leftovers(out)  # once its export is over (or killed), it is a leftover
    assert not stage.exists()


def test_an_out_that_is_a_mount_point_is_refused_before_anything_is_copied(small_disk):
    """OUT on another filesystem than its folder cannot be swapped (rename gives EBUSY/EXDEV): refuse
    it at once, before the user's files are copied across filesystems into the stage."""
    (small_disk / "notes.txt").write_text("mine")
    with pytest.raises(OSError, match="mount point"):
        publish.new_stage(small_disk)
    assert (small_disk / "notes.txt").read_text() == "mine"
    assert [p.name for p in small_disk.parent.iterdir()] == [small_disk.name]


def test_a_mount_point_inside_out_is_refused_not_emptied(tmp_path, small_disk):
    """A disk mounted in a subfolder of OUT would be copied into the stage and then emptied when the
    old OUT is removed (rmtree crosses mount points): refused, the mounted files untouched."""
    out = make_export(tmp_path / "out", "old")
    mnt = out / "data"
    mnt.mkdir()
    subprocess.run(["mount", "--bind", str(small_disk), str(mnt)], check=True)
    try:
        (mnt / "photo.png").write_text("mine")
        with pytest.raises(OSError, match="mount point"):
            publish.new_stage(out)
        assert (mnt / "photo.png").read_text() == "mine"
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_a_fifo_in_out_does_not_hang_the_export(tmp_path):
    """sync_tree opened every carried file to fsync it: opening a FIFO waits for a writer, forever."""
    out = make_export(tmp_path / "out", "old")
    os.mkfifo(out / "pipe")
    stage = publish.new_stage(out)
    (stage / "model.onnx").write_text("model new")
    publish.carry_user_files(out, stage, {"model.onnx"})

    def hung(*_):
        raise TimeoutError("publishing hung on the FIFO")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)
    try:
        publish.remove_old(publish.swap_into_place(stage, out))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        publish.release_stage(stage)
    assert (out / "model.onnx").read_text() == "model new" and stat.S_ISFIFO(os.lstat(out / "pipe").st_mode)
