"""Hostile and re-packed bundles (issue 25, defects 3, 5 and 8): `dae verify` refuses each hostile one
in one line before it writes anything, also on Python 3.11.2 (make test-old-python runs this file),
and accepts a bundle re-packed with tar when its content is right."""

import os
import shutil
import subprocess
import tarfile

import pytest
from fault_tools import dae, file_size_limit, one_line_failure
from hostile_archives import (
    TOP,
    add_bytes,
    export_folder,
    gnu_sparse_header,
    header,
    manifest_bytes,
    padded,
    pax_sparse_member,
    write_gz,
)

pytestmark = pytest.mark.runtime_suite  # make test runs it in the runtime-only venv (Python 3.11.2), only there

MEMBER_LIMIT = 1000  # dae verify's default (dae_runtime.tar_headers.MAX_MEMBERS), stated in the README
GIB2 = 2 << 30


def bundle(tmp_path, extra=None, name="bundle.tar.gz"):
    """A good bundle of the seed model (tarfile, as dae export writes it), plus `extra(tar)` members."""
    folder = export_folder(tmp_path / "src" / TOP)
    path = tmp_path / name
    with tarfile.open(path, "w:gz") as tar:
        tar.add(folder, arcname=TOP)
        if extra:
            extra(tar)
    return path


def verify(path, dest, **kwargs):
    dest.mkdir(exist_ok=True)
    return dae("verify", path, "--extract-to", dest, **kwargs)


def test_a_bundle_over_the_member_limit_is_refused_and_nothing_is_created(tmp_path):
    """Before: 100k empty folders in a 470 KB bundle were all created, and the bundle verified OK."""

    def folders(tar):
        for i in range(MEMBER_LIMIT):
            add_bytes(tar, f"{TOP}/d{i}", kind=tarfile.DIRTYPE)

    result = verify(bundle(tmp_path, folders), tmp_path / "dest")
    assert f"more than {MEMBER_LIMIT:,} members" in one_line_failure(result)
    assert list((tmp_path / "dest").iterdir()) == []


def test_reading_stops_at_the_member_limit(tmp_path):
    """The members after the limit are never read: here a symbolic link after it is not reached."""
    from dae_runtime.bundle import extract_bundle
    from dae_runtime.manifest import ManifestError

    def folders_then_a_link(tar):
        for i in range(6):
            add_bytes(tar, f"{TOP}/d{i}", kind=tarfile.DIRTYPE)
        add_bytes(tar, f"{TOP}/link", kind=tarfile.SYMTYPE)

    with pytest.raises(ManifestError, match="more than 5 members"):
        extract_bundle(bundle(tmp_path, folders_then_a_link), tmp_path / "dest", max_members=5)
    assert not (tmp_path / "dest").exists()
    roots = bundle(tmp_path / "roots", lambda tar: [add_bytes(tar, ".", kind=tarfile.DIRTYPE) for _ in range(6)])
    with pytest.raises(ManifestError, match="more than 5 members"):  # "./" is skipped, but counted
        extract_bundle(roots, tmp_path / "dest", max_members=5)


@pytest.mark.parametrize("folder", ["empty", "a/b/c"])
def test_a_folder_the_manifest_does_not_need_is_refused_and_not_created(tmp_path, folder):
    result = verify(
        bundle(tmp_path, lambda tar: add_bytes(tar, f"{TOP}/{folder}", kind=tarfile.DIRTYPE)), tmp_path / "d"
    )
    assert f"folder {folder}/ (not in the manifest)" in one_line_failure(result)
    assert list((tmp_path / "d").iterdir()) == []


@pytest.mark.parametrize("what", [".", f"./{TOP}"])
def test_a_bundle_repacked_with_tar_verifies(tmp_path, what):
    """The issue's re-pack: `tar xzf rpi-bundle.tar.gz -C b; tar czf re.tar.gz -C b .` (members start
    with ./; that crashed with IndexError), or `-C b ./dae-edge-rpi` (refused as having no manifest)."""
    (tmp_path / "b").mkdir()
    subprocess.run(["tar", "xzf", bundle(tmp_path), "-C", tmp_path / "b"], check=True)
    subprocess.run(["tar", "czf", tmp_path / "re.tar.gz", "-C", tmp_path / "b", what], check=True)
    result = verify(tmp_path / "re.tar.gz", tmp_path / "dest")
    assert result.returncode == 0 and "OK: 1 files" in result.stdout, result.stdout + result.stderr
    assert (tmp_path / "dest" / TOP / "model.onnx").read_bytes() == (tmp_path / "b" / TOP / "model.onnx").read_bytes()


def test_a_bundle_repacked_without_its_folder_is_refused_in_one_line(tmp_path):
    (tmp_path / "b").mkdir()
    subprocess.run(["tar", "xzf", bundle(tmp_path), "-C", tmp_path / "b"], check=True)
    subprocess.run(["tar", "czf", tmp_path / "flat.tar.gz", "-C", tmp_path / "b" / TOP, "."], check=True)
    result = verify(tmp_path / "flat.tar.gz", tmp_path / "dest")
    assert "should hold one folder with manifest.json in it" in one_line_failure(result)
    assert list((tmp_path / "dest").iterdir()) == []


def sparse_bundle(tmp_path, form):
    """The issue's 338-byte bundle: a sparse model.onnx of 2 GiB (one byte of data), listed at 2 GiB."""
    manifest = manifest_bytes({"model.onnx": GIB2})
    blocks = [header(f"{TOP}/manifest.json", len(manifest), tarfile.REGTYPE), padded(manifest)]
    if form == "gnu":
        blocks += [gnu_sparse_header(f"{TOP}/model.onnx", GIB2, GIB2 - 1, 1), padded(b"x")]
    else:
        blocks += pax_sparse_member(f"{TOP}/model.onnx", GIB2, form)
    return write_gz(tmp_path / f"sparse-{form}.tar.gz", blocks)


@pytest.mark.parametrize("form", ["gnu", "0.0", "0.1", "1.0"])
def test_a_sparse_member_is_refused_before_anything_is_written(tmp_path, form):
    """Before, on 3.11.2, the holes were written as 2 GB of zeros before the sha256 check refused the
    bundle. No file may grow past 1 MB here: a single written hole fails the command another way."""
    path = sparse_bundle(tmp_path, form)
    assert path.stat().st_size < 400
    result = verify(path, tmp_path / "dest", preexec_fn=file_size_limit(1 << 20))
    assert "is a sparse file" in one_line_failure(result)
    assert list((tmp_path / "dest").iterdir()) == []


def test_a_sparse_map_is_not_read(tmp_path):
    """A pax 1.0 sparse map is read from the member's data until it has as many entries as it claims:
    claiming 10**9 read to the archive's end and failed with a ValueError traceback."""
    manifest = manifest_bytes({"model.onnx": GIB2})
    blocks = [header(f"{TOP}/manifest.json", len(manifest), tarfile.REGTYPE), padded(manifest)]
    path = write_gz(tmp_path / "map.tar.gz", [*blocks, *pax_sparse_member(f"{TOP}/model.onnx", GIB2, "1.0", 10**9)])
    assert "is a sparse file" in one_line_failure(verify(path, tmp_path / "dest"))


def long_name(size):
    return [header("././@LongLink", size, tarfile.GNUTYPE_LONGNAME), padded(b"a" * size)]


def pax_header(size, kind=tarfile.XHDTYPE):
    prefix = b"%d comment=" % size  # a pax record: "LENGTH keyword=value\n", LENGTH counting all of it
    record = prefix + b"x" * (size - len(prefix) - 1) + b"\n"
    return [header("pax", len(record), kind, tarfile.PAX_FORMAT)[:512], padded(record)]


def members_with_pax(count, size):
    """`count` folders, each after a `size`-byte pax header: tarfile keeps all their records."""
    return [block for i in range(count) for block in [*pax_header(size), header(f"d{i}", 0, tarfile.DIRTYPE)]]


@pytest.mark.parametrize(
    "headers, fragment",
    [
        (long_name(1 << 20), "a 1,048,576-byte tar header"),
        (pax_header(1 << 20), "a 1,048,576-byte tar header"),
        (long_name(40) * 3000, "tar headers in a row"),  # before: RecursionError, a traceback
        (members_with_pax(5, 60_000), "over 262,144 bytes of tar headers"),
        (pax_header(2000, tarfile.XGLTYPE), "over 1,024 bytes of global pax headers"),
    ],
    ids=["long-name", "pax", "chain", "many-pax", "global-pax"],
)
def test_tar_headers_that_cost_memory_are_refused_while_reading(tmp_path, headers, fragment):
    """tarfile reads these whole, or recursively, before the member they describe: a 512 MB long name
    (a 520 KB archive) took 3.1 GB; and keeps them all, copying global pax headers into every later
    member (a 6 MB archive of 960 global headers took 4.8 GB): they are refused before that."""
    manifest = manifest_bytes({"model.onnx": 1})
    blocks = [header(f"{TOP}/manifest.json", len(manifest), tarfile.REGTYPE), padded(manifest)]
    path = write_gz(tmp_path / "headers.tar.gz", [*blocks, *headers, header("x", 1, tarfile.REGTYPE), padded(b"x")])
    result = verify(path, tmp_path / "dest")
    assert fragment in one_line_failure(result)
    assert list((tmp_path / "dest").iterdir()) == []


def test_the_real_tar_reads_the_sparse_bundle_as_sparse(tmp_path):
    """The hand-made sparse headers are what GNU tar itself takes for sparse files (not just tarfile)."""
    if shutil.which("tar") is None:
        pytest.fail("GNU tar is needed to check the hand-made archives")
    listing = subprocess.run(["tar", "tzvf", sparse_bundle(tmp_path, "gnu")], capture_output=True, text=True)
    assert f"{GIB2} " in listing.stdout and "model.onnx" in listing.stdout, listing.stdout + listing.stderr


def test_a_pipe_given_as_the_bundle_is_refused_without_waiting(tmp_path):
    """tarfile would wait on a pipe for a writer that never comes."""
    os.mkfifo(tmp_path / "bundle.tar.gz")
    result = dae("verify", tmp_path / "bundle.tar.gz", "--extract-to", tmp_path / "dest", timeout=60)
    assert "neither an export folder nor a bundle file" in one_line_failure(result)
