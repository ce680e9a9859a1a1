"""Names that are not UTF-8 reach OpenCV by another way, or are refused in one line (issue 25, defect 1).

OpenCV crashes (SIGSEGV) on such a path string, so a failure here can kill the test process: each
OpenCV call on a hostile name runs in a child process.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dae_runtime import cv_paths

BAD = os.fsdecode(b"b\xff")  # 'b\udcff': how Python hands over a name that is not UTF-8


def in_child(code: str, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, timeout=120)


def test_opencv_itself_still_crashes_on_such_names(tmp_path):
    """The reason for the module: if OpenCV stops crashing, opencv_path is no longer needed."""
    done = in_child("import sys, cv2; cv2.imread(sys.argv[1])", tmp_path / f"{BAD}.png")
    assert done.returncode != 0


@pytest.mark.parametrize("folder, name", [(BAD, "a.png"), ("ok", f"{BAD}.png"), (BAD, f"{BAD}.png")])
def test_images_are_read_and_written_under_any_name(tmp_path, folder, name):
    path = tmp_path / folder / name
    path.parent.mkdir()
    code = (
        "import sys, cv2, numpy as np\n"
        "from pathlib import Path\n"
        "from dae_runtime.cv_paths import opencv_path\n"
        "from dae_runtime.image_io import read_image, write_png_checked\n"
        "path = Path(sys.argv[1])\n"
        "image = np.arange(30 * 40, dtype=np.uint16).reshape(30, 40).astype(np.uint8)\n"
        "tmp = path.with_name('.dae.tmp.png')  # dae's own temporary names are UTF-8\n"
        "write_png_checked(tmp, image)\n"
        "tmp.rename(path)\n"
        "assert np.array_equal(read_image(path, cv2.IMREAD_GRAYSCALE), image)\n"
        "with opencv_path(path) as name:\n"
        "    assert name.startswith('/proc/self/fd/') and cv2.imread(name) is not None\n"
        "print('ok')\n"
    )
    done = in_child(code, path)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_names_opencv_takes_are_passed_as_they_are(tmp_path):
    for name in ("plain.png", "é ü 数字.png"):
        with cv_paths.opencv_path(tmp_path / name) as given:
            assert given == str(tmp_path / name)


def test_without_proc_such_a_name_is_refused_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(cv_paths, "PROC_FD", tmp_path / "no-proc")
    with pytest.raises(cv_paths.UnusableName, match=r"OpenCV cannot open .*b\\xff\.png: its name is not UTF-8"):
        with cv_paths.opencv_path(tmp_path / f"{BAD}.png"):
            pass


def test_a_file_name_that_is_not_utf8_cannot_be_written_through_proc(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(cv_paths.UnusableName, match="cannot write"):
        with cv_paths.opencv_path(tmp_path / "d" / f"{BAD}.png", write=True):
            pass


def test_printable_shows_the_bytes_and_is_safe_for_a_strict_terminal():
    assert cv_paths.printable(f"d/{BAD}.png") == "d/b\\xff.png"
    cv_paths.printable(f"d/{BAD}.png").encode("utf-8")  # strict: no surrogate left
    assert cv_paths.printable("é.png") == "é.png"
    assert cv_paths.utf8_name(f"{BAD}.denoised") == "b_.denoised"
