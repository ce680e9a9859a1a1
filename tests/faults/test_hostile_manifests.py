"""Hostile manifest.json files (issue 25, defects 4 and 6): nested 100,000 deep (a RecursionError and
its traceback before), 1 GB of sparse zeros (read whole: 2.1 GB of memory before), or a pipe (read
forever before). Every command that reads a manifest refuses each in one line: dae verify (a folder
and a bundle), dae denoise --model and dae live --model. Runs under Python 3.11.2 too."""

import io
import json
import os
import tarfile

import cv2
import numpy as np
import pytest
from fault_tools import dae, one_line_failure
from hostile_archives import TOP, export_folder

from dae_runtime.synthetic import paper_frame, synthetic_digits

pytestmark = pytest.mark.runtime_suite  # make test runs it in the runtime-only venv (Python 3.11.2), only there

NESTED = b"[" * 100_000 + b"]" * 100_000  # 200 KB, the issue's
GB = 1 << 30


def nested(folder):
    (folder / "manifest.json").write_bytes(NESTED)


def sparse_gb(folder):
    with open(folder / "manifest.json", "wb") as f:
        f.truncate(GB)  # 1 GB long, no block on disk


def fifo(folder):
    (folder / "manifest.json").unlink()
    os.mkfifo(folder / "manifest.json")


def escaped_quotes(folder):
    # 1 MiB: an unterminated string of escaped quotes. The depth scan once retried from every quote to
    # the end (hours); now it is read once, as json.loads reads it.
    (folder / "manifest.json").write_bytes(b'"' + b'\\"' * ((1 << 19) - 1))


def listing(name):
    """The real manifest plus one more file `name`: a name a folder cannot hold, or whose folders
    cost memory quadratic in its length (manifest_folders keeps each of them)."""

    def make(folder):
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["files"][name] = {"sha256": "0" * 64, "bytes": 1}
        (folder / "manifest.json").write_text(json.dumps(manifest))

    return make


HOSTILE = {
    "nested": (nested, "nests 100,000 levels deep"),
    "long name": (listing("a" * 300), "has a part over 255 bytes"),  # a traceback (ENAMETOOLONG) before
    "deep name": (listing("a/" * 1000 + "x"), "is 1,001 folders deep"),
    "quotes": (escaped_quotes, "Unterminated string"),
    "1GB": (sparse_gb, "1,073,741,824 bytes"),
    "fifo": (fifo, "not a regular file"),
}


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "paper.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (640, 480))
    for i in range(2):
        writer.write(paper_frame(synthetic_digits(4), shift=(i, i)))
    writer.release()
    return path


def run(command, folder, tmp_path, video):
    model = folder / "model.onnx"
    if command == "verify":
        return dae("verify", folder, timeout=120)
    if command == "denoise":
        image = tmp_path / "in.png"
        cv2.imwrite(str(image), np.zeros((28, 28), np.uint8))
        return dae("denoise", image, "--out", tmp_path / "out", "--model", model, timeout=120)
    return dae("live", "--source", video, "--headless", "--out", tmp_path / "live.mp4", "--model", model, timeout=120)


@pytest.mark.parametrize("command", ["verify", "denoise", "live"])
@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_manifest_is_refused_in_one_line(tmp_path, video, command, kind):
    make, fragment = HOSTILE[kind]
    folder = export_folder(tmp_path / "export")
    make(folder)
    line = one_line_failure(run(command, folder, tmp_path, video))
    assert fragment in line and "manifest.json" in line
    assert not (tmp_path / "out").exists() and not (tmp_path / "live.mp4").exists()


DEEP_NAME = json.dumps({"files": {"a/" * 100 + "x": {"sha256": "0" * 64, "bytes": 0}}}).encode()


@pytest.mark.parametrize(
    "manifest, fragment",
    # A name folders deep: all its folders were built, each up to its whole length (417 MB and 11 s for
    # a 40 KB name, quadratic, so a 1 MiB manifest could take hundreds of GB).
    [(NESTED, "nests 100,000 levels deep"), (DEEP_NAME, "is 101 folders deep (at most 8)")],
    ids=["nested", "deep-name"],
)
def test_a_hostile_manifest_in_a_bundle_is_refused_in_one_line(tmp_path, manifest, fragment):
    path = tmp_path / "hostile.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(f"{TOP}/manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
    (tmp_path / "dest").mkdir()
    line = one_line_failure(dae("verify", path, "--extract-to", tmp_path / "dest"))
    assert fragment in line
    assert list((tmp_path / "dest").iterdir()) == []
