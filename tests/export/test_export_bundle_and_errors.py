"""Bundle contents, atomic publishing, and the errors a user can cause."""

import tarfile

import pytest
from click.testing import CliRunner

from dae_runtime.bundle import extract_bundle
from dae_runtime.cli import main

pytestmark = pytest.mark.slow


def test_bundle_holds_models_wheel_requirements_and_checks_out(full_export, tmp_path):
    out, _ = full_export
    with tarfile.open(out / "rpi-bundle.tar.gz") as tar:
        names = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
    assert {
        "model.onnx",
        "model.int8.onnx",
        "golden.npz",
        "manifest.json",
        "requirements-rpi.txt",
        "INSTALL.md",
    } <= names
    wheels = [n for n in names if n.endswith("-py3-none-any.whl")]
    assert len(wheels) == 1 and wheels[0].startswith("dae_edge_runtime-")
    folder = extract_bundle(out / "rpi-bundle.tar.gz", tmp_path)
    requirements = (folder / "requirements-rpi.txt").read_text()
    assert "onnxruntime==" in requirements and "tensorflow" not in requirements
    # Raspberry Pi OS Lite has no libGL: the headless OpenCV, and never both builds (same cv2 module);
    # the wheel's own metadata names opencv-python, so it must go in with --no-deps.
    assert "opencv-python-headless==" in requirements and "opencv-python==" not in requirements
    install = (folder / "INSTALL.md").read_text()
    assert f"pip install --no-deps {wheels[0]}" in install and "pip uninstall -y opencv-python-headless" in install
    import zipfile

    with zipfile.ZipFile(folder / wheels[0]) as whl:
        assert not [n for n in whl.namelist() if n.startswith(("dae_train", "dae_export"))]


def test_failed_export_leaves_the_old_model_untouched(trained_model, tmp_path, monkeypatch):
    from dae_export import parity
    from dae_export.config import ExportConfig
    from dae_export.errors import ExportError
    from dae_export.pipeline import run_export

    (tmp_path / "model.onnx").write_bytes(b"the model that works")

    def mismatch(*args, **kwargs):
        raise ExportError("ONNX and Keras outputs differ by 3.1e-01")

    monkeypatch.setattr(parity, "check_parity", mismatch)
    with pytest.raises(ExportError, match="differ"):
        run_export(ExportConfig(str(trained_model), str(tmp_path)), step=lambda s: None)
    assert (tmp_path / "model.onnx").read_bytes() == b"the model that works"
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]  # no staging left behind


def _export(*args):
    result = CliRunner().invoke(main, ["export", *args])
    return result.exit_code, result.output


def test_export_errors_are_one_line(trained_model, tmp_path):
    text = tmp_path / "model.txt"
    text.write_text("hello")
    for args, fragment in (
        (["--model", str(text)], "not a Keras model file"),
        (["--model", str(tmp_path / "missing.keras")], "does not exist"),
        (["--model", str(trained_model), "--opset", "9"], "'--opset'"),
    ):
        code, output = _export(*args, "--out", str(tmp_path / "out"))
        assert code in (1, 2), output
        assert fragment in output and "Traceback" not in output
        assert len([line for line in output.splitlines() if line.startswith("Error:")]) == 1
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, output = _export("--model", str(trained_model), "--out", str(blocker / "out"))
    assert code == 1 and "cannot write to" in output and "Traceback" not in output


def test_a_new_export_replaces_the_previous_one_and_keeps_user_files(trained_model, tmp_path):
    from dae_export.config import ExportConfig
    from dae_export.pipeline import run_export
    from dae_runtime.manifest import verify_manifest

    (tmp_path / "notes.txt").write_text("mine")
    run_export(ExportConfig(str(trained_model), str(tmp_path), int8=True), step=lambda s: None)
    assert (tmp_path / "model.int8.onnx").exists()
    run_export(ExportConfig(str(trained_model), str(tmp_path)), step=lambda s: None)
    assert not (tmp_path / "model.int8.onnx").exists()  # a stale int8 model would pass for this export's
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert set(verify_manifest(tmp_path, allow_unlisted=True)["files"]) == {"model.onnx", "golden.npz"}
