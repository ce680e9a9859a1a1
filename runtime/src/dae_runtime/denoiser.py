"""Denoiser: an exported ONNX model behind one call, with onnxruntime and numpy only."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dae_runtime.manifest import MANIFEST_FILE, ManifestError, load_manifest, sha256_file
from dae_runtime.models import default_model_path


class DenoiserError(Exception):
    """A model that cannot be used; the message is for the user as is."""


@dataclass
class SessionConfig:
    threads: int | None = None  # intra-op threads; None: all cores (onnxruntime's default)
    graph_optimization: str = "all"  # none | basic | extended | all
    spinning: bool = True  # busy-wait between runs: lower latency, burns a core while idle
    profile: bool = False  # onnxruntime's JSON profile of every node


def _session_options(cfg: SessionConfig):
    import onnxruntime as ort

    levels = {
        "none": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }
    options = ort.SessionOptions()
    options.graph_optimization_level = levels[cfg.graph_optimization]
    options.log_severity_level = 3
    if cfg.threads:
        options.intra_op_num_threads = cfg.threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if cfg.spinning else "0")
    options.enable_profiling = cfg.profile
    return options


def _fast_run(session):
    """feed dict -> first output. InferenceSession.run re-checks the names and builds the output
    list in Python on every call; the C++ session behind it (`_sess`, the pinned onnxruntime's
    binding) runs the same graph without that: 1.5 us of 45 at batch 1, measured in
    benchmarks/README.md. Falls back to the public call if a release moves it."""
    outputs = [session.get_outputs()[0].name]
    core = getattr(session, "_sess", None)
    if core is not None and callable(getattr(core, "run", None)):
        return lambda feed: core.run(outputs, feed, None)[0]
    return lambda feed: session.run(outputs, feed)[0]


def _check_against_manifest(path: Path) -> None:
    """If the model sits in an export folder or bundle, its sha256 must match the manifest.

    A manifest that is there but cannot be read (garbage, truncated, not ours) refuses the model:
    otherwise writing junk into manifest.json would switch the tamper check off.
    """
    manifest_path = path.parent / MANIFEST_FILE
    if not manifest_path.exists():
        return
    try:
        files = load_manifest(path.parent)["files"]
    except ManifestError as exc:
        raise DenoiserError(f"refusing {path}: its {exc} (cannot check the model against it)") from None
    if path.name not in files:
        return  # a valid manifest that does not list this model says nothing about it
    if sha256_file(path) != files[path.name]["sha256"]:
        raise DenoiserError(f"{path} does not match the sha256 in {manifest_path}: refusing a modified model")


def to_unit_float(image: np.ndarray) -> np.ndarray:
    """uint8 0..255 or float 0..1 -> float32 0..1."""
    a = np.asarray(image)
    if a.dtype == np.uint8:
        return a.astype(np.float32) / 255.0
    if a.dtype == np.uint16:
        return a.astype(np.float32) / 65535.0
    if not np.issubdtype(a.dtype, np.floating):
        raise ValueError(f"unsupported image dtype {a.dtype}: use uint8, uint16 or float")
    a = a.astype(np.float32)
    if a.size and float(a.max()) > 2.0:  # clearly a float image on the 0..255 scale
        a = a / 255.0
    return np.clip(a, 0.0, 1.0)


def to_gray(image: np.ndarray) -> np.ndarray:
    """(H, W), (H, W, 1), (H, W, 3) BGR or (H, W, 4) BGRA -> (H, W), same dtype."""
    a = np.asarray(image)
    if a.ndim == 2:
        return a
    if a.ndim == 3 and a.shape[2] == 1:
        return a[..., 0]
    if a.ndim == 3 and a.shape[2] in (3, 4):
        import cv2

        if a.dtype not in (np.uint8, np.uint16, np.float32):
            a = a.astype(np.float32)  # cvtColor takes only these
        code = cv2.COLOR_BGR2GRAY if a.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
        return cv2.cvtColor(a, code)
    raise ValueError(f"expected an image of shape (H, W) or (H, W, 1|3|4), got {a.shape}")


class Denoiser:
    """Denoise images with an exported model (default: the pretrained one shipped in the package).

    `denoise(image)` takes one image of any size (uint8 or float, gray or BGR/BGRA) and returns
    the denoised gray image, same height/width, uint8 if the input was uint8, else float32.
    `denoise_batch(x)` takes float32 (N, H, W) or (N, H, W, 1) in [0, 1] and returns (N, H, W).
    """

    def __init__(
        self,
        model_path: str | os.PathLike | None = None,
        threads: int | None = None,
        precision: str = "fp32",
        session: SessionConfig | None = None,
    ):
        import onnxruntime as ort

        self.path = Path(model_path) if model_path is not None else default_model_path(precision)
        self.session_config = session or SessionConfig(threads=threads)
        if not self.path.is_file():
            raise DenoiserError(f"model file {self.path} does not exist")
        try:
            _check_against_manifest(self.path)
        except ManifestError as exc:
            raise DenoiserError(str(exc)) from exc
        try:
            self.session = ort.InferenceSession(
                str(self.path), _session_options(self.session_config), providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises several unrelated types
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise DenoiserError(f"{self.path} is not a usable ONNX model ({first})") from None
        meta = self.session.get_modelmeta().custom_metadata_map
        self.input_spec = json.loads(meta.get("input", "{}"))
        self.precision = meta.get("precision", "unknown")
        self.size_multiple = int(self.input_spec.get("size_multiple", 4))
        self.digit_size = int(self.input_spec.get("digit_size", 28))
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        self.channels_last = self.input_spec.get("layout", "NHWC") == "NHWC"
        self._run = _fast_run(self.session)

    def denoise_batch(self, x: np.ndarray) -> np.ndarray:
        """(N, H, W[, 1]) in [0, 1] (or uint8) with H, W multiples of 4 -> float32 (N, H, W)."""
        # float32 is taken as given (the hot path: live frames, benchmarks); the rest is scaled.
        x = x if isinstance(x, np.ndarray) and x.dtype == np.float32 else to_unit_float(x)
        if x.ndim == 3:
            x = x[..., None]
        if x.ndim != 4 or x.shape[-1] != 1:
            raise ValueError(f"expected a batch (N, H, W) or (N, H, W, 1), got {x.shape}")
        if x.shape[1] % self.size_multiple or x.shape[2] % self.size_multiple:
            raise ValueError(
                f"height and width must be multiples of {self.size_multiple}, got {x.shape[1]}x{x.shape[2]} "
                "(denoise() pads single images for you)"
            )
        if len(x) == 0:  # onnxruntime cannot infer a Reshape's -1 on an empty tensor
            return np.zeros(x.shape[:3], np.float32)
        feed = x if self.channels_last else x.transpose(0, 3, 1, 2)
        out = self._run({self.input_name: np.ascontiguousarray(feed)})
        return out[..., 0] if self.channels_last else out[:, 0]

    def denoise(self, image: np.ndarray) -> np.ndarray:
        """One image of any size: padded (edge-replicated) to a multiple of 4, denoised, cropped back."""
        gray = to_gray(image)
        x = to_unit_float(gray)
        h, w = x.shape
        m = self.size_multiple
        padded = np.pad(x, ((0, -h % m), (0, -w % m)), mode="edge")
        out = self.denoise_batch(padded[None])[0, :h, :w]
        return from_unit_float(out, np.asarray(gray).dtype)

    def denoise_digits(self, crops: np.ndarray) -> np.ndarray:
        """Digit crops of any one size (N, h, w) -> resized to 28x28, denoised in one batch, resized back."""
        import cv2

        crops = np.asarray(crops)
        if len(crops) == 0:
            return crops.astype(np.float32)
        n, h, w = crops.shape[:3]
        s = self.digit_size
        x = to_unit_float(crops)
        if (h, w) != (s, s):
            x = np.stack([cv2.resize(c, (s, s), interpolation=cv2.INTER_AREA) for c in x])
        out = self.denoise_batch(x)
        if (h, w) != (s, s):
            out = np.stack([cv2.resize(o, (w, h), interpolation=cv2.INTER_LINEAR) for o in out])
        return out


def from_unit_float(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype == np.uint8:
        return np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)
    return x.astype(np.float32)
