"""Denoiser: an exported ONNX model behind one call, with onnxruntime and numpy only."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dae_runtime.bounded_json import JSONLimitError, loads_limited
from dae_runtime.manifest import MAX_MANIFEST_BYTES
from dae_runtime.model_file import manifest_problem, model_file_problem
from dae_runtime.shipped import default_model_path
from dae_runtime.tiles import SEED_RECEPTIVE_RADIUS, TileConfig


class DenoiserError(Exception):
    """A model that cannot be used; the message is for the user as is."""


@dataclass
class SessionConfig:
    threads: int | None = None  # intra-op threads; None: all cores (onnxruntime's default)
    graph_optimization: str = "all"  # none | basic | extended | all
    spinning: bool = True  # busy-wait between runs: lower latency, burns a core while idle


def session_options(cfg: SessionConfig):
    """onnxruntime's SessionOptions for `cfg` (benchmarks/ort_levers.py builds its variants with it too)."""
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
    return options


def fast_run(session):
    """feed dict -> first output. InferenceSession.run re-checks the names and builds the output
    list in Python on every call; the C++ session behind it (`_sess`, the pinned onnxruntime's
    binding) runs the same graph without that: 1.5 us of 45 at batch 1, measured in
    benchmarks/README.md. Falls back to the public call if a release moves it."""
    outputs = [session.get_outputs()[0].name]
    core = getattr(session, "_sess", None)
    if core is not None and callable(getattr(core, "run", None)):
        return lambda feed: core.run(outputs, feed, None)[0]
    return lambda feed: session.run(outputs, feed)[0]


def unit_scale(image: np.ndarray) -> float:
    """What divides `image` to bring it to 0..1: 255 (uint8 or a float image on the 0..255 scale),
    65535 (uint16) or 1. Decided on the whole image, so that tiles of it are scaled alike.
    Refuses NaN and infinite pixels, which would spread through the network's output."""
    a = np.asarray(image)
    if a.dtype == np.uint8:
        return 255.0
    if a.dtype == np.uint16:
        return 65535.0
    if not np.issubdtype(a.dtype, np.floating):
        raise ValueError(f"unsupported image dtype {a.dtype}: use uint8, uint16 or float")
    if a.size and not np.isfinite(a).all():
        bad = int(a.size - np.count_nonzero(np.isfinite(a)))
        raise ValueError(f"the image holds {bad} NaN or infinite pixel(s); clean them first (e.g. numpy.nan_to_num)")
    return 255.0 if a.size and float(a.max()) > 2.0 else 1.0  # > 2: clearly a float image on the 0..255 scale


def ort_reason(exc: Exception, limit: int = 300) -> str:
    """onnxruntime's error, on one line, without the prefix, C++ source location and function
    signature that come before the reason (and pushed it past any length limit)."""
    import re

    text = " ".join(str(exc).split()) or type(exc).__name__
    text = re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : (Load model from .*? failed: ?)?", "", text)
    located = re.match(r"^\S+\.(?:cc|h|cpp):\d+ .*?\) (?=[A-Z])", text)
    if located:
        text = text[located.end() :]
    if len(text) > limit:
        text = text[:limit].rsplit(". ", 1)[0].rstrip(".") + " ..."
    return text


def read_input_spec(path: Path, meta: dict[str, str]) -> dict:
    """The model's "input" metadata (written by dae export), checked; defaults for a plain ONNX model."""
    try:
        spec = loads_limited(meta.get("input", "{}"), MAX_MANIFEST_BYTES)
    except JSONLimitError as exc:
        raise DenoiserError(
            f"{path}: its ONNX metadata 'input' is not usable JSON ({exc}); re-export the model"
        ) from None
    if not isinstance(spec, dict):
        raise DenoiserError(f"{path}: its ONNX metadata 'input' is not a JSON object; re-export the model")
    # Exports before the zoo carry no receptive_radius: they are the seed (radius 11, dae_runtime.tiles).
    defaults = {"size_multiple": 4, "digit_size": 28, "layout": "NHWC", "receptive_radius": SEED_RECEPTIVE_RADIUS}
    spec = {**defaults, **spec}
    for key, least, most in (("size_multiple", 1, 256), ("digit_size", 1, 4096), ("receptive_radius", 0, 4096)):
        value = spec[key]
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
            raise DenoiserError(f"{path}: its metadata {key}={value!r} is not an integer in {least}..{most}")
    if spec["layout"] not in ("NHWC", "NCHW"):
        raise DenoiserError(f"{path}: its metadata layout={spec['layout']!r} is neither NHWC nor NCHW")
    return spec


def check_io(path: Path, session, channels_last: bool) -> str:
    """The name of the model's one input, after checking that it takes and gives float32 gray
    images (N, H, W, 1) (or (N, 1, H, W)); anything else would fail later, inside onnxruntime."""
    layout = "(N, H, W, 1)" if channels_last else "(N, 1, H, W)"
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1 or not outputs:
        raise DenoiserError(f"{path} has {len(inputs)} inputs and {len(outputs)} outputs: not a denoiser "
                            "(one image in, one out)")  # fmt: skip
    for role, arg in (("input", inputs[0]), ("output", outputs[0])):
        if arg.type != "tensor(float)":
            raise DenoiserError(f"{path}: its {role} {arg.name!r} is {arg.type}, not float32 images {layout}")
        shape = arg.shape
        channels = None if not isinstance(shape, list) or len(shape) != 4 else shape[3 if channels_last else 1]
        if not isinstance(shape, list) or len(shape) != 4 or (isinstance(channels, int) and channels != 1):
            raise DenoiserError(
                f"{path}: its {role} {arg.name!r} has shape {shape}, not gray images {layout} (1 channel)"
            )
    return inputs[0].name


def to_unit_float(image: np.ndarray, scale: float | None = None) -> np.ndarray:
    """uint8 0..255, uint16 or float 0..1 (or 0..255) -> float32 0..1; `scale` from unit_scale()."""
    a = np.asarray(image)
    scale = unit_scale(a) if scale is None else scale
    if a.dtype in (np.uint8, np.uint16):
        return a.astype(np.float32) / scale
    a = a.astype(np.float32)
    if scale != 1.0:
        a = a / scale
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
    A model whose manifest names a variant for this CPU's features (the Pi bundle's int8 for CPUs with the
    dot product) is loaded as that variant, unless `for_this_cpu` is False: `path` is the file loaded,
    `requested` the one named, `cpu_features` what the variant was chosen for (dae_runtime.cpu_variant).
    """

    def __init__(
        self,
        model_path: str | os.PathLike | None = None,
        threads: int | None = None,
        precision: str = "fp32",
        session: SessionConfig | None = None,
        tiles: TileConfig | None = None,
        for_this_cpu: bool = True,
    ):
        import onnxruntime as ort

        from dae_runtime.cpu_variant import variant_for_cpu

        self.requested = self.path = Path(model_path) if model_path is not None else default_model_path(precision)
        self.session_config = session or SessionConfig(threads=threads)
        self.cpu_features: list[str] = []
        problem = model_file_problem(self.path) or manifest_problem(self.path)
        if not problem and for_this_cpu:
            self.path, self.cpu_features = variant_for_cpu(self.path)
            problem = model_file_problem(self.path) or manifest_problem(self.path)
        if problem:
            raise DenoiserError(problem)
        try:
            self.session = ort.InferenceSession(
                str(self.path), session_options(self.session_config), providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises several unrelated types
            raise DenoiserError(f"{self.path} is not a usable ONNX model ({ort_reason(exc)})") from None
        meta = self.session.get_modelmeta().custom_metadata_map
        self.input_spec = read_input_spec(self.path, meta)
        self.precision = meta.get("precision", "unknown")
        self.size_multiple = self.input_spec["size_multiple"]
        self.digit_size = self.input_spec["digit_size"]
        self.channels_last = self.input_spec["layout"] == "NHWC"
        self.input_name = check_io(self.path, self.session, self.channels_last)
        # The overlap must cover the receptive field, or tiles would differ from one pass at their seams.
        self.tiles = tiles or TileConfig(margin=self.input_spec["receptive_radius"])
        self._run = fast_run(self.session)
        self._probe()

    def _probe(self) -> None:
        """One tiny run at load, so a model that cannot run or gives NaN (damaged weights) is refused
        here, in one line, instead of failing or writing garbage on every input later."""
        side = -(-self.digit_size // self.size_multiple) * self.size_multiple
        try:
            out = self.denoise_batch(np.full((1, side, side), 0.5, np.float32))
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises several unrelated types
            raise DenoiserError(f"{self.path} cannot denoise a {side}x{side} image ({ort_reason(exc)})") from None
        if out.shape != (1, side, side):
            raise DenoiserError(f"{self.path} turns a {side}x{side} image into shape {out.shape}: not a denoiser")
        if not np.isfinite(out).all():
            raise DenoiserError(f"{self.path} gives NaN or infinite pixels: its weights are damaged")

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
        """One image of any size: padded (edge-replicated) to a multiple of 4, denoised, cropped back.

        An image larger than the tile (self.tiles) goes through the model in overlapping windows, so
        memory stays bounded whatever its size; only the uint8 (or float) image and output are whole.
        """
        from dae_runtime.tiles import read_window, windows

        gray = to_gray(image)
        scale = unit_scale(gray)
        h, w = gray.shape
        out = np.empty((h, w), np.uint8 if gray.dtype == np.uint8 else np.float32)
        for win in windows(h, w, self.size_multiple, self.tiles):
            x = to_unit_float(read_window(gray, win.rows, win.cols), scale)
            y = self.denoise_batch(x[None])[0]
            out[win.out_rows, win.out_cols] = from_unit_float(y[win.keep_rows, win.keep_cols], out.dtype)
        return out


def from_unit_float(x: np.ndarray, dtype: np.dtype | type) -> np.ndarray:
    if dtype == np.uint8:
        return np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)
    return x.astype(np.float32)
