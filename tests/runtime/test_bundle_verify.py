"""Bundles on the device: checksums are enforced, hostile archives are refused."""

import io
import json
import stat
import tarfile

import pytest
from click.testing import CliRunner

from dae_runtime.bundle import extract_bundle
from dae_runtime.cli import main
from dae_runtime.manifest import ManifestError, sha256_file, verify_manifest


def make_folder(folder):
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"onnx bytes")
    (folder / "golden.npz").write_bytes(b"golden bytes")
    files = {
        n: {"sha256": sha256_file(folder / n), "bytes": (folder / n).stat().st_size}
        for n in ("model.onnx", "golden.npz")
    }
    (folder / "manifest.json").write_text(json.dumps({"files": files}))
    return folder


def make_bundle(tmp_path, extra=None):
    folder = make_folder(tmp_path / "dae-edge-rpi")
    path = tmp_path / "bundle.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(folder, arcname="dae-edge-rpi")
        if extra:
            extra(tar)
    return path


@pytest.fixture(params=["native", "no-filter"])
def extraction(request, monkeypatch):
    """Both extraction paths on every Python: what this Python has (tarfile's data filter from 3.10.12 /
    3.11.4 on), and the path for Pythons without it (Debian bookworm's 3.11.2, which `make test` runs too)."""
    if request.param == "no-filter":
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    return request.param


def test_good_bundle_extracts_and_verifies(tmp_path, extraction):
    (tmp_path / "src").mkdir()
    bundle = make_bundle(tmp_path / "src")
    dest = tmp_path / "dest"
    dest.mkdir()
    folder = extract_bundle(bundle, dest)
    assert folder == dest / "dae-edge-rpi"
    assert verify_manifest(folder)["files"].keys() == {"model.onnx", "golden.npz"}
    assert (folder / "model.onnx").read_bytes() == b"onnx bytes"
    with pytest.raises(ManifestError, match="already exists"):  # never extracts over a previous copy
        extract_bundle(bundle, dest)


def test_tampered_or_missing_files_are_refused(tmp_path):
    folder = make_folder(tmp_path / "export")
    (folder / "model.onnx").write_bytes(b"swapped model")
    (folder / "golden.npz").unlink()
    with pytest.raises(ManifestError) as info:
        verify_manifest(folder)
    assert "model.onnx (sha256 mismatch)" in str(info.value) and "golden.npz (missing)" in str(info.value)


def test_a_bundle_whose_files_do_not_match_names_the_bundle_not_a_removed_folder(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    folder = make_folder(src / "dae-edge-rpi")
    (folder / "model.onnx").write_bytes(b"ONNX BYTES")  # the size the manifest gives, another sha256
    bundle = src / "bundle.tar.gz"
    with tarfile.open(bundle, "w:gz") as tar:
        tar.add(folder, arcname="dae-edge-rpi")
    with pytest.raises(ManifestError) as info:
        extract_bundle(bundle, tmp_path / "dest")
    assert str(info.value).startswith(f"refusing {bundle}: files do not match manifest.json: model.onnx (sha256")
    assert list((tmp_path / "dest").iterdir()) == []


def _add_member(name, kind=tarfile.REGTYPE, target=""):
    def add(tar):
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = target
        data = b"evil" if kind == tarfile.REGTYPE else b""
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))

    return add


@pytest.mark.parametrize(
    "extra",
    [
        _add_member("../escape.txt"),
        _add_member("/tmp/absolute.txt"),
        _add_member("dae-edge-rpi/link", tarfile.SYMTYPE, "/etc/passwd"),
        _add_member("dae-edge-rpi/hardlink", tarfile.LNKTYPE, "dae-edge-rpi/model.onnx"),
        _add_member("dae-edge-rpi/null", tarfile.CHRTYPE),
        _add_member("dae-edge-rpi/disk", tarfile.BLKTYPE),
        _add_member("dae-edge-rpi/pipe", tarfile.FIFOTYPE),
        _add_member("dae-edge-rpi/sub/../../escape.txt"),
        _add_member("second-top/file.txt"),
    ],
    ids=["dotdot", "absolute", "symlink", "hardlink", "chardev", "blockdev", "fifo", "nested-dotdot", "two-tops"],
)
def test_hostile_archives_are_refused_and_write_nothing(tmp_path, extra, extraction):
    src = tmp_path / "src"
    src.mkdir()
    bundle = make_bundle(src, extra)
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(ManifestError):
        extract_bundle(bundle, dest)
    assert list(dest.iterdir()) == []
    assert not (tmp_path / "escape.txt").exists()


def test_verify_command_reports_ok_and_failures(tmp_path):
    folder = make_folder(tmp_path / "export")
    runner = CliRunner()
    result = runner.invoke(main, ["verify", str(folder)])
    assert result.exit_code == 0 and "OK: 2 files" in result.output
    (folder / "model.onnx").write_bytes(b"corrupt")
    result = runner.invoke(main, ["verify", str(folder)])
    assert result.exit_code == 1 and "sha256 mismatch" in result.output and "Traceback" not in result.output
    not_a_bundle = tmp_path / "junk.tar.gz"
    not_a_bundle.write_bytes(b"junk")
    result = runner.invoke(main, ["verify", str(not_a_bundle), "--extract-to", str(tmp_path)])
    assert result.exit_code == 1 and "not a readable bundle" in result.output


@pytest.mark.parametrize(
    "manifest, fragment",
    [
        ({"files": {}}, "lists no files"),
        ([1, 2], "lists no files"),
        ({"files": {"model.onnx": "abc"}}, "malformed"),
    ],
)
def test_empty_or_malformed_manifests_are_refused(tmp_path, manifest, fragment):
    folder = make_folder(tmp_path / "export")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ManifestError, match=fragment):
        verify_manifest(folder)


def test_a_listed_name_too_long_for_its_folder_is_reported_not_raised(tmp_path):
    """Each part within NAME_MAX, the whole path past PATH_MAX: stat says ENAMETOOLONG (an OSError
    and its traceback in `dae verify` before)."""
    deep = tmp_path.joinpath(*["d" * 250] * 10)
    deep.mkdir(parents=True)
    folder = make_folder(deep / "export")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["/".join(["n" * 250] * 8)] = {"sha256": "0" * 64}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ManifestError, match=r"nnnn \(cannot be read: File name too long\)"):
        verify_manifest(folder)


def test_extracted_files_get_plain_modes_without_the_filter(tmp_path, monkeypatch):
    """Without the data filter, set-uid and group/other write bits in the archive are dropped."""
    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    src = tmp_path / "src"
    src.mkdir()
    folder = make_folder(src / "dae-edge-rpi")
    (folder / "model.onnx").chmod(0o4777)
    bundle = src / "bundle.tar.gz"
    with tarfile.open(bundle, "w:gz") as tar:
        tar.add(folder, arcname="dae-edge-rpi")
    extracted = extract_bundle(bundle, tmp_path / "dest")
    assert stat.S_IMODE((extracted / "model.onnx").stat().st_mode) == 0o755
    assert stat.S_IMODE((extracted / "golden.npz").stat().st_mode) == 0o644


def test_unlisted_files_are_refused_and_a_rejected_bundle_leaves_nothing(tmp_path, extraction):
    src = tmp_path / "src"
    src.mkdir()
    bundle = make_bundle(src, _add_member("dae-edge-rpi/evil.sh"))
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(ManifestError, match=r"evil.sh \(not in the manifest\)"):
        extract_bundle(bundle, dest)
    assert list(dest.iterdir()) == []  # not even a hidden temporary folder


def test_a_folder_the_manifest_does_not_need_is_reported(tmp_path):
    folder = make_folder(tmp_path / "export")
    (folder / "empty").mkdir()
    with pytest.raises(ManifestError, match=r"empty/ \(a folder not in the manifest\)"):
        verify_manifest(folder)
    (folder / "empty").rmdir()
    for i in range(12):
        (folder / f"extra{i:02d}").write_bytes(b"x")
    with pytest.raises(ManifestError, match=r"extra09 \(not in the manifest\) and 2 more$"):  # 12 found, 10 named
        verify_manifest(folder)


@pytest.mark.parametrize("root", ["", "./"])
def test_folders_the_manifest_needs_and_dot_slash_names_extract(tmp_path, extraction, root):
    """A manifest listing sub/x.bin needs the folder sub/; names written as ./dae-edge-rpi/... (a bundle
    re-packed with `tar -C b .`, whose first member is ./ itself) are the same names."""
    (tmp_path / "src").mkdir()
    folder = make_folder(tmp_path / "src" / "dae-edge-rpi")
    (folder / "sub").mkdir()
    (folder / "sub" / "x.bin").write_bytes(b"sub file")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["sub/x.bin"] = {"sha256": sha256_file(folder / "sub" / "x.bin"), "bytes": 8}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    bundle = tmp_path / "bundle.tar.gz"
    with tarfile.open(bundle, "w:gz") as tar:
        if root:
            tar.add(tmp_path / "src", arcname=".", recursive=False)
        tar.add(folder, arcname=f"{root}dae-edge-rpi")
    extracted = extract_bundle(bundle, tmp_path / "dest")
    assert (extracted / "sub" / "x.bin").read_bytes() == b"sub file"
    assert sorted(p.name for p in (tmp_path / "dest").iterdir()) == ["dae-edge-rpi"]
