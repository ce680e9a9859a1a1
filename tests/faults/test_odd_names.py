"""Input, folder and output names that are not UTF-8 (issue 25, defect 1: OpenCV crashed on them with
SIGSEGV, exit 139: later inputs were skipped, no summary, hidden temporary files stayed).

Every kind of input (image, array, video) under such names, in such folders, into such an output
folder, through `dae denoise` and `dae live`: written exactly as under plain names, every line
printable, also on a terminal whose encoding is strict UTF-8 (a Pi's en_GB.UTF-8 locale).
"""

import os
import shutil

import cv2
import numpy as np
import pytest
from fault_tools import dae, one_line_failure

from dae_runtime.synthetic import paper_frame, synthetic_digits
from videos import frames_in

pytestmark = pytest.mark.runtime_suite  # make test runs it in the runtime-only venv (Python 3.11.2), only there

BAD = os.fsdecode(b"b\xff")  # how Python hands over the name b'b\xff'
SHOWN = "b\\xff"  # how dae prints it


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """The inputs under plain names, and what `dae denoise` makes of them."""
    folder = tmp_path_factory.mktemp("plain")
    rng = np.random.default_rng(0)
    cv2.imwrite(str(folder / "page.png"), rng.integers(0, 256, (64, 80), dtype=np.uint8))
    np.save(folder / "batch.npy", rng.random((3, 28, 28), dtype=np.float32))
    np.savez(folder / "arrays.npz", a=rng.random((2, 28, 28), dtype=np.float32))
    video = cv2.VideoWriter(str(folder / "clip.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10, (160, 120))
    for i in range(6):
        video.write(paper_frame(synthetic_digits(3), (120, 160), scale=1, shift=(i, i)))
    video.release()
    done = dae("denoise", folder, "--out", folder.parent / "plain-out")
    assert done.returncode == 0, done.stderr
    return folder


def renamed(plain, root):
    """The same inputs in a folder named b\\xff, each named b\\xff.<ext>."""
    folder = root / BAD
    folder.mkdir(parents=True)
    for path in plain.iterdir():
        shutil.copy(path, folder / f"{BAD}{path.suffix}")
    return folder


def frames_at(path):
    """frames_in of a path OpenCV cannot be given: through an open descriptor."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return frames_in(f"/proc/self/fd/{fd}")
    finally:
        os.close(fd)


def no_hidden_files(folder):
    return [p for p in folder.rglob("*") if p.name.startswith(".")] == []


@pytest.mark.parametrize("out_name", ["out", BAD])
def test_denoise_writes_every_input_under_any_name(plain, tmp_path, out_name, monkeypatch):
    monkeypatch.setenv("PYTHONIOENCODING", "utf-8:strict")  # a strict terminal: surrogates would raise
    folder = renamed(plain, tmp_path / "in")
    out = tmp_path / out_name
    done = dae("denoise", folder, "--out", out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        done.stdout.strip()
        == f"4 file(s) written to {out.parent}/{SHOWN if out_name == BAD else 'out'}, 0 input(s) failed"
    )
    expected = plain.parent / "plain-out" / plain.name
    for stem, suffix in (("page", ".png"), ("batch", ".npy"), ("arrays", ".npz")):
        written = out / BAD / f"{BAD}.denoised{suffix}"
        assert written.read_bytes() == (expected / f"{stem}.denoised{suffix}").read_bytes()
    assert frames_at(out / BAD / f"{BAD}.denoised.mp4") == frames_in(expected / "clip.denoised.mp4")
    assert no_hidden_files(out)


def test_a_broken_input_under_such_a_name_is_one_line_and_the_others_go_on(plain, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONIOENCODING", "utf-8:strict")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / f"a{BAD}.png").write_bytes(b"\x89PNG broken")
    shutil.copy(plain / "page.png", folder / f"z{BAD}.png")  # after the broken one
    done = dae("denoise", folder, "--out", tmp_path / "out")
    text = one_line_failure(done)
    assert f"failed: {folder}/a{SHOWN}.png: not a readable image" in text
    assert "1 file(s) written" in done.stdout and "1 input(s) failed" in done.stdout
    assert (tmp_path / "out" / "in" / f"z{BAD}.denoised.png").exists() and no_hidden_files(tmp_path / "out")


def test_live_reads_and_records_under_any_name(plain, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONIOENCODING", "utf-8:strict")
    folder = renamed(plain, tmp_path)
    out = folder / f"{BAD}-live.mp4"
    done = dae("live", "--source", folder / f"{BAD}.mp4", "--headless", "--out", out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Wrote {tmp_path}/{SHOWN}/{SHOWN}-live.mp4" in done.stdout
    assert frames_at(out)[0] == 6
    assert no_hidden_files(folder)


def test_a_missing_source_under_such_a_name_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONIOENCODING", "utf-8:strict")
    text = one_line_failure(dae("live", "--source", tmp_path / f"{BAD}.mp4", "--headless", "--out", tmp_path / "x.mp4"))
    assert f"{SHOWN}.mp4" in text
