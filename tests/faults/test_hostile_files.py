"""Hostile files: a decompression bomb in a bundle (issue 12, defect 7) and a garbage manifest beside
a tampered model (defect 8). Both must be refused in one line, before any harm is done."""

import io
import json
import tarfile

import numpy as np
import pytest
from fault_tools import dae, one_line_failure

from dae_runtime.manifest import sha256_file
from dae_runtime.shipped import default_model_path

pytestmark = pytest.mark.runtime_suite  # make test runs it in the runtime-only venv (Python 3.11.2), only there

BOMB = 64 << 20  # zeros: 64 MiB unpacked from a ~64 KB archive (the was 3 GiB from 4.8 MB)


class Zeros(io.RawIOBase):
    def __init__(self, size):
        self.left = size

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def make_bundle(path, member_size, declared_size):
    """A bundle whose manifest lists a small model.onnx, while the archive's member is `member_size`."""
    manifest = {"files": {"model.onnx": {"sha256": "0" * 64, "bytes": declared_size}}}
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo("dae-edge-rpi/manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("dae-edge-rpi/model.onnx")
        info.size = member_size
        tar.addfile(info, io.BufferedReader(Zeros(member_size), 1 << 20))
    return path


def test_a_decompression_bomb_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    from dae_runtime import bundle as bundle_module

    bomb = make_bundle(tmp_path / "bomb.tar.gz", BOMB, 1000)
    assert bomb.stat().st_size < BOMB / 100
    dest = tmp_path / "dest"
    dest.mkdir()

    def no_extraction(*args, **kwargs):
        raise AssertionError("extraction started before the sizes were checked")

    monkeypatch.setattr(tarfile.TarFile, "extractall", no_extraction)
    monkeypatch.setattr(tarfile.TarFile, "extract", no_extraction)
    with pytest.raises(bundle_module.ManifestError, match=r"model.onnx \(67,108,864 bytes, the manifest says 1,000\)"):
        bundle_module.extract_bundle(bomb, dest)
    assert list(dest.iterdir()) == []


def test_verify_refuses_the_bomb_in_one_line_on_a_small_disk(tmp_path, small_disk):
    """On a 3 MB disk too: nothing is written, so nothing fills it."""
    bomb = make_bundle(tmp_path / "bomb.tar.gz", BOMB, 1000)
    result = dae("verify", bomb, "--extract-to", small_disk)
    assert "nothing was extracted" in one_line_failure(result)
    assert list(small_disk.iterdir()) == []


def test_an_honest_bundle_that_does_not_fit_is_refused_before_extracting(tmp_path, small_disk):
    big = make_bundle(tmp_path / "big.tar.gz", 8 << 20, 8 << 20)  # 8 MiB declared and real, 3 MB disk
    result = dae("verify", big, "--extract-to", small_disk)
    assert "unpacks to at least 8,388,7" in one_line_failure(result)
    assert list(small_disk.iterdir()) == []


@pytest.mark.parametrize("junk", [b"\x00garbage\xff", b"{not json", b"[]", b'{"files": {}}', b"{}"])
def test_a_garbage_manifest_beside_a_tampered_model_refuses_it(tmp_path, junk):
    model = tmp_path / "model.onnx"
    data = bytearray(default_model_path().read_bytes())
    model.write_bytes(bytes(data))
    (tmp_path / "manifest.json").write_text(json.dumps({"files": {"model.onnx": {"sha256": sha256_file(model)}}}))
    data[len(data) // 2] ^= 0xFF  # flip one byte of a weight: still a loadable model
    model.write_bytes(bytes(data))
    (tmp_path / "manifest.json").write_bytes(junk)
    image = tmp_path / "in.npy"
    np.save(image, np.zeros((28, 28), np.float32))
    result = dae("denoise", image, "--out", tmp_path / "out", "--model", model)
    text = one_line_failure(result)
    assert "refusing" in text and "manifest.json" in text
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def add_member(tar, name, size, data=None):
    info = tarfile.TarInfo(name)
    info.size = size
    tar.addfile(info, io.BytesIO(data) if data is not None else io.BufferedReader(Zeros(size), 1 << 20))


def test_a_second_manifest_member_cannot_carry_a_bomb(tmp_path):
    """A tar may hold one name twice and extraction keeps the last: the size check must not read an
    honest first manifest.json while a huge second one is unpacked (and then read into memory)."""
    from dae_runtime import bundle as bundle_module

    manifest = json.dumps({"files": {"model.onnx": {"sha256": "0" * 64, "bytes": 4}}}).encode()
    path = tmp_path / "two-manifests.tar.gz"
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        add_member(tar, "dae-edge-rpi/manifest.json", len(manifest), manifest)
        add_member(tar, "dae-edge-rpi/model.onnx", 4, b"onnx")
        add_member(tar, "dae-edge-rpi/manifest.json", BOMB)
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(bundle_module.ManifestError, match="more than once"):
        bundle_module.extract_bundle(path, dest)
    assert list(dest.iterdir()) == []


def test_a_manifest_without_sizes_cannot_carry_a_bomb(tmp_path):
    """dae export always writes each file's bytes; a manifest that leaves them out must not switch the
    size check off (the bomb would fill the disk before the sha256 check refuses it)."""
    from dae_runtime import bundle as bundle_module

    manifest = json.dumps({"files": {"model.onnx": {"sha256": "0" * 64}}}).encode()
    path = tmp_path / "no-sizes.tar.gz"
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        add_member(tar, "dae-edge-rpi/manifest.json", len(manifest), manifest)
        add_member(tar, "dae-edge-rpi/model.onnx", BOMB)
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(bundle_module.ManifestError, match="no size"):
        bundle_module.extract_bundle(path, dest)
    assert list(dest.iterdir()) == []
