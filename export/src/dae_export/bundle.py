"""The Raspberry Pi bundle: models, manifest, golden set, the runtime wheel, pinned requirements."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

BUNDLE_DIR = "dae-edge-rpi"
# Each pin publishes a manylinux aarch64 wheel for CPython 3.11 (checked 2026-11-24 with
# pip download --only-binary=:all: --platform manylinux_2_28_aarch64 --python-version 3.11).
# onnxruntime publishes no 32-bit ARM (armv7l) wheel: the Pi needs the 64-bit OS.
RPI_REQUIREMENTS = {
    "onnxruntime": "1.32.0",
    "numpy": "2.4.6",
    "opencv-python": "5.0.0.93",
    "click": "8.5.1",
}

INSTRUCTIONS = """# dae-edge on a Raspberry Pi

Needs a 64-bit Raspberry Pi OS (aarch64) with Python 3.11 or newer (Bookworm has 3.11; the pinned
numpy and onnxruntime need it). onnxruntime publishes
no 32-bit ARM wheels. Nothing here needs TensorFlow.

    tar xzf rpi-bundle.tar.gz && cd {bundle_dir}
    python3 -m venv ~/dae && . ~/dae/bin/activate
    pip install -r requirements-rpi.txt {wheel}
    dae verify .            # every file against manifest.json (sha256)

The models: model.onnx (fp32) and model.int8.onnx (int8, QDQ). golden.npz holds noisy
digits, clean targets and the TensorFlow original's outputs, to check accuracy on the Pi.
"""


class BundleError(Exception):
    """The bundle cannot be built; the message is for the user as is."""


def runtime_source_dir() -> Path | None:
    """The runtime/ folder of a dae-edge checkout, if dae_runtime is installed from one."""
    import dae_runtime

    candidate = Path(dae_runtime.__file__).resolve().parents[2]
    return candidate if (candidate / "pyproject.toml").is_file() else None


def build_runtime_wheel(dest: Path, runtime_wheel: Path | None = None) -> Path:
    """The pure-Python runtime wheel (py3-none-any): the given one, or built from the checkout."""
    if runtime_wheel is not None:
        if not runtime_wheel.is_file() or not runtime_wheel.name.endswith("-py3-none-any.whl"):
            raise BundleError(f"{runtime_wheel} is not a pure-Python wheel (*-py3-none-any.whl)")
        return Path(shutil.copy2(runtime_wheel, dest))
    source = runtime_source_dir()
    if source is None:
        raise BundleError("dae_runtime is not installed from a checkout; pass --runtime-wheel PATH")
    with tempfile.TemporaryDirectory(prefix="dae-wheel-") as tmp:
        # Build from a clean copy: setuptools would reuse (stale) build/ folders of the checkout
        # and write new ones into it.
        copy = Path(tmp) / "runtime"
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        # No build isolation: setuptools comes with dae-edge-export, so no network is needed.
        cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", tmp]
        proc = subprocess.run([*cmd, str(copy)], capture_output=True, text=True)
        wheels = list(Path(tmp).glob("dae_edge_runtime-*-py3-none-any.whl"))
        if proc.returncode != 0 or len(wheels) != 1:
            last = (proc.stderr.strip().splitlines() or ["no wheel produced"])[-1]
            raise BundleError(f"building the runtime wheel failed: {last}")
        return Path(shutil.move(str(wheels[0]), dest / wheels[0].name))


def write_bundle(target: Path, files: list[Path], sections: dict, runtime_wheel: Path | None = None) -> list[str]:
    """Write target (a .tar.gz) holding `files`, the runtime wheel, requirements, instructions and a manifest."""
    from dae_export.metadata import build_manifest

    with tempfile.TemporaryDirectory(prefix="dae-bundle-") as tmp:
        folder = Path(tmp) / BUNDLE_DIR
        folder.mkdir()
        for f in files:
            shutil.copy2(f, folder / f.name)
        wheel = build_runtime_wheel(folder, runtime_wheel)
        pins = "".join(f"{name}=={ver}\n" for name, ver in RPI_REQUIREMENTS.items())
        (folder / "requirements-rpi.txt").write_text(
            "# Raspberry Pi OS 64-bit (aarch64); every pin has a manylinux aarch64 wheel.\n" + pins
        )
        (folder / "INSTALL.md").write_text(INSTRUCTIONS.format(bundle_dir=BUNDLE_DIR, wheel=wheel.name))
        names = sorted(p.name for p in folder.iterdir())
        build_manifest(folder, names, **sections, bundle={"target": "rpi", "requirements": RPI_REQUIREMENTS})
        with tarfile.open(target, "w:gz") as tar:
            tar.add(folder, arcname=BUNDLE_DIR)
        return sorted([*names, "manifest.json"])
