"""The Raspberry Pi bundle: models, manifest, golden set, the runtime wheel, pinned requirements."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from dae_export.systemd_unit import write_service_files

BUNDLE_DIR = "dae-edge-rpi"
# Each pin publishes a manylinux aarch64 wheel for CPython 3.11 (checked 2026-11-24 with
# pip download --only-binary=:all: --platform manylinux_2_28_aarch64 --python-version 3.11).
# onnxruntime publishes no 32-bit ARM (armv7l) wheel: the Pi needs the 64-bit OS.
# OpenCV: the headless build. opencv-python (the Qt build) needs libGL, which Raspberry Pi OS Lite
# lacks, and then `import cv2` fails outright; the headless build works on Lite and desktop alike,
# for everything but a window (INSTALL.md says how to swap it). Both install the same `cv2` module
# and must never be installed together, which is why the runtime wheel goes in with --no-deps:
# its metadata asks for opencv-python. Checked on emulated bookworm arm64 by `make pi-check`.
# simplejpeg is picamera2's, not ours: apt's (python3-simplejpeg) is built for bookworm's numpy 1 and
# fails to import beside numpy 2 (picamera2 issues 1088, 1211), so the venv, which must see apt's
# picamera2 for `--camera picam`, gets one built for numpy 2 (aarch64 cp311 wheel, checked 2026-12-06).
OPENCV_WINDOW = "opencv-python"
RPI_REQUIREMENTS = {
    "onnxruntime": "1.32.0",
    "numpy": "2.4.6",
    "opencv-python-headless": "5.0.0.93",
    "click": "8.5.1",
    "simplejpeg": "1.9.0",
}

INSTRUCTIONS = """# dae-edge on a Raspberry Pi

Needs a 64-bit Raspberry Pi OS (aarch64) with Python 3.11 or newer (Bookworm has 3.11; the pinned
numpy and onnxruntime need it). onnxruntime publishes
no 32-bit ARM wheels. Nothing here needs TensorFlow.

    tar xzf rpi-bundle.tar.gz && cd {bundle_dir}
    python3 -m venv --system-site-packages ~/dae && . ~/dae/bin/activate
    pip install -r requirements-rpi.txt
    pip install --no-deps {wheel}
    dae verify .            # every file against manifest.json (sha256)

Check accuracy on this Pi: `dae compare --golden golden.npz --model model.int8.onnx`.

OpenCV: requirements-rpi.txt installs opencv-python-headless. It works on Raspberry Pi OS Lite
(which has no libGL) and on the desktop: `dae denoise`, `dae live --headless --out FILE`, every
camera and video input; it cannot open a window. For the `dae live` window on the Pi desktop,
swap it for the GUI build (it needs libGL, which the desktop has; on Lite `import cv2` would then
fail). The two install the same `cv2` module: never install both.

    pip uninstall -y opencv-python-headless && pip install {opencv_window}=={opencv_version}

The runtime wheel goes in with --no-deps because its own dependency list names {opencv_window};
requirements-rpi.txt pins everything it needs.

The models: model.onnx (fp32) and model.int8.onnx (int8, QDQ, {int8_types}).{variants} golden.npz holds
noisy digits, clean targets and the TensorFlow original's outputs, to check accuracy on the Pi.

The venv sees the system's packages (--system-site-packages) for apt's picamera2, which drives the
Pi Camera Module (`dae live --camera picam`); requirements-rpi.txt pins what the venv itself needs,
and a simplejpeg built for its numpy (apt's, which picamera2 imports, is built for numpy 1).
{service}"""


SERVICE_INSTRUCTIONS = """
## Run `dae live` at boot (systemd)

dae-live.service runs `dae live --camera picam --serve 0.0.0.0:4912` as a service: started at
boot, restarted 15 s after it fails (a camera that stops giving frames ends dae live with exit 1),
its output in the system journal, with a line of figures (FPS, digits, latency, viewers) a minute.
Every setting (user, venv, model, camera, address, token) is in dae-live.env, installed as
/etc/dae-live.env. The user must be in the `video` group for the camera (`groups` shows it;
Raspberry Pi OS puts its first user there). From this folder, with the venv above, as that user
(the second line starts the settings afresh):

    sudo apt install -y python3-picamera2 --no-install-recommends
    sudo install -m 600 /dev/null /etc/dae-live.env
    sed -e "s|^DAE_USER=.*|DAE_USER=$USER|" -e "s|^DAE_VENV=.*|DAE_VENV=$HOME/dae|" \\
        -e "s|^DAE_MODEL=.*|DAE_MODEL=$PWD/model.int8.onnx|" \\
        -e "s|^DAE_LIVE_TOKEN=.*|DAE_LIVE_TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')|" \\
        dae-live.env | sudo tee /etc/dae-live.env >/dev/null
    sudo cp dae-live.service /etc/systemd/system/
    sudo systemctl daemon-reload
    sudo systemctl enable --now dae-live
    journalctl -u dae-live -f

The journal shows `Serving the live view on http://raspberrypi.local:4912/?token=...`: open that in
a browser on the LAN (the token is also in `sudo cat /etc/dae-live.env`). To change the camera
(picam:1, or 0 for a USB webcam), the model (model.onnx: fp32), the address (127.0.0.1:4912 keeps
it on the Pi) or other options (DAE_OPTIONS, e.g. `--width 1280 --height 720 --fps 15`):
`sudo nano /etc/dae-live.env`, then `sudo systemctl restart dae-live`. A new token: set
DAE_LIVE_TOKEN to the output of `python3 -c 'import secrets; print(secrets.token_urlsafe(24))'` and
restart. Its state and last lines: `systemctl status dae-live`. After five failed starts within ten
minutes systemd stops trying; to try again:
`sudo systemctl reset-failed dae-live && sudo systemctl start dae-live`.
To stop it: `sudo systemctl stop dae-live`; and not at boot either: `sudo systemctl disable --now dae-live`.
"""
VARIANT = """ On a CPU with {features} (a Pi 5,
not a Pi 4) the runtime loads {name} when you name {base}: no one int8 graph is the
cheapest on both Pi CPUs, and manifest.json says which file is for which."""


def _variants(described: dict[str, dict]) -> str:
    """INSTALL.md's sentence on the CPU variants the manifest names (dae_runtime.cpu_variant)."""
    return "".join(VARIANT.format(features=", ".join(d["cpu_features"]), name=name, base=d["variant_of"])
                   for name, d in described.items() if "variant_of" in d)  # fmt: skip


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


def write_bundle(
    target: Path,
    files: list[Path],
    sections: dict,
    runtime_wheel: Path | None = None,
    described: dict[str, dict] | None = None,
) -> list[str]:
    """Write target (a .tar.gz) holding `files`, the runtime wheel, requirements, instructions and a manifest.

    `described`: extra manifest keys per file (a model's engine and precision)."""
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
        write_service_files(folder)
        (folder / "INSTALL.md").write_text(
            INSTRUCTIONS.format(
                service=SERVICE_INSTRUCTIONS,
                bundle_dir=BUNDLE_DIR,
                wheel=wheel.name,
                opencv_window=OPENCV_WINDOW,
                opencv_version=RPI_REQUIREMENTS["opencv-python-headless"],
                int8_types=sections.get("metrics", {}).get("onnx_int8", {}).get("types", "u8s8"),
                variants=_variants(described or {}),
            )
        )
        names = sorted(p.name for p in folder.iterdir())
        build_manifest(folder, names, described, **sections, bundle={"target": "rpi", "requirements": RPI_REQUIREMENTS})
        with tarfile.open(target, "w:gz") as tar:
            tar.add(folder, arcname=BUNDLE_DIR)
        return sorted([*names, "manifest.json"])
