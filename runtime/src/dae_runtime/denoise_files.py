"""`dae denoise` work: find the inputs, denoise each one, write outputs atomically beside nothing.

Outputs go to OUT/<relative path>/<stem>.denoised.<ext>, never over an input; a file that
cannot be read is reported and skipped while the others go on.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dae_runtime.atomic import atomic_path
from dae_runtime.cv_paths import UnusableName, opencv_path
from dae_runtime.denoiser import Denoiser, from_unit_float, to_gray, to_unit_float, unit_scale
from dae_runtime.image_io import ImageWriteError, read_image, write_png_checked
from dae_runtime.noise import gaussian

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}
ARRAY_SUFFIXES = {".npy", ".npz"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".m4v"}
SUPPORTED = IMAGE_SUFFIXES | ARRAY_SUFFIXES | VIDEO_SUFFIXES
DIGIT_BATCH = 256  # digits of a page per model call: a page of many digits does not grow the model's buffers


class InputError(Exception):
    """One input that cannot be denoised; the others go on."""


@dataclass
class DenoiseOptions:
    digits: bool = False  # find digits, denoise them as MNIST crops, paste them back
    add_noise: float = 0.0  # add Gaussian noise of this sigma first (and save the noisy input too)
    seed: int = 0


@dataclass
class Job:
    source: Path
    relative: Path  # where the output goes below OUT


@dataclass
class Report:
    written: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


def collect(inputs: list[str]) -> tuple[list[Job], list[tuple[Path, str]]]:
    """Expand folders recursively; return the jobs and the inputs refused up front."""
    jobs, refused = [], []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            found, unreadable = _walk(path)
            refused += [(folder, f"cannot be read ({reason}); its files are skipped") for folder, reason in unreadable]
            if not found and not unreadable:
                refused.append((path, "holds no supported file (" + ", ".join(sorted(SUPPORTED)) + ")"))
            jobs += [Job(f, f.relative_to(path.parent)) for f in found]
        elif not path.exists():
            refused.append((path, "does not exist"))
        elif not path.is_file():  # opening a pipe waits for a writer forever
            refused.append((path, "is a pipe, a socket or a device, not a file"))
        elif path.suffix.lower() not in SUPPORTED:
            refused.append((path, f"unsupported file type {path.suffix or '(none)'}"))
        else:
            jobs.append(Job(path, Path(path.name)))
    return jobs, refused


def _walk(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Supported files below `folder` (sorted) and the subfolders that could not be listed."""
    import os

    found, unreadable = [], []

    def failed(exc: OSError) -> None:
        unreadable.append((Path(exc.filename or folder), exc.strerror or type(exc).__name__))

    for root, _, files in os.walk(folder, onerror=failed):
        found += [Path(root, f) for f in files if Path(f).suffix.lower() in SUPPORTED and Path(root, f).is_file()]
    return sorted(found), unreadable


def _uint16_to_uint8(image: np.ndarray, rows_per_step: int = 1024) -> np.ndarray:
    """16-bit -> 8-bit (v // 257, as (v / 257).astype(uint8)), in bands: no full-size float copy."""
    out = np.empty(image.shape, np.uint8)
    for r in range(0, len(image), rows_per_step):
        out[r : r + rows_per_step] = image[r : r + rows_per_step] // 257
    return out


def output_path(out: Path, job: Job, suffix: str | None = None) -> Path:
    rel = job.relative
    return out / rel.parent / f"{rel.stem}.denoised{suffix or rel.suffix.lower()}"


class FileDenoiser:
    def __init__(self, denoiser: Denoiser, options: DenoiseOptions):
        self.denoiser, self.options = denoiser, options
        self.rng = np.random.default_rng(options.seed)

    def image(self, gray: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Denoised gray image (same dtype) and the noisy input if noise was added."""
        noisy = None
        if self.options.add_noise > 0:
            noisy = self._add_noise(gray)
            gray = noisy
        if self.options.digits:
            return self._digits(gray), noisy
        return self.denoiser.denoise(gray), noisy

    def _add_noise(self, gray: np.ndarray, rows_per_step: int = 256) -> np.ndarray:
        """Gaussian noise, a band of rows at a time: no full-size float copy of a big image. The
        generator draws the same numbers in bands as in one call, so the result does not change."""
        scale = unit_scale(gray)
        out = np.empty(gray.shape, gray.dtype if gray.dtype == np.uint8 else np.float32)
        for r in range(0, len(gray), rows_per_step):
            band = to_unit_float(gray[r : r + rows_per_step], scale)
            out[r : r + rows_per_step] = from_unit_float(gaussian(band, self.options.add_noise, self.rng), out.dtype)
        return out

    def _digits(self, gray: np.ndarray) -> np.ndarray:
        from dae_runtime.digits import extract_digits, from_mnist, paste_ink

        u8 = gray if gray.dtype == np.uint8 else from_unit_float(to_unit_float(gray), np.uint8)
        batch, crops = extract_digits(u8)  # every digit on the page
        out = u8.copy()
        for start in range(0, len(crops), DIGIT_BATCH):
            denoised = self.denoiser.denoise_batch(batch[start : start + DIGIT_BATCH])
            for digit, crop in zip(denoised, crops[start : start + DIGIT_BATCH], strict=True):
                paste_ink(out, from_mnist(digit, crop), crop)
        return out if gray.dtype == np.uint8 else to_unit_float(out)

    def run(self, job: Job, out: Path, inputs: set[Path]) -> list[Path]:
        suffix = job.source.suffix.lower()
        try:
            if suffix in IMAGE_SUFFIXES:
                return self._image_file(job, out, inputs)
            if suffix in ARRAY_SUFFIXES:
                return self._array_file(job, out, inputs)
            return self._video_file(job, out, inputs)
        except (ValueError, UnusableName) as exc:  # the denoiser's word on a bad image (NaN pixels, wrong shape)
            raise InputError(str(exc)) from None

    def _target(self, path: Path, inputs: set[Path]) -> Path:
        if path.resolve() in inputs:
            raise InputError(f"its output {path} would overwrite an input or another input's output")
        return path

    def _image_file(self, job: Job, out: Path, inputs: set[Path]) -> list[Path]:
        import cv2

        # Gray straight from the decoder: no 3-channel copy of a big image ever exists (ANYDEPTH keeps
        # 16-bit and float TIFFs as they are; OpenCV refuses images above 2^30 pixels).
        image = read_image(job.source, cv2.IMREAD_GRAYSCALE | cv2.IMREAD_ANYDEPTH)
        if image is None:
            raise InputError("not a readable image")
        if image.dtype == np.uint16:
            image = _uint16_to_uint8(image)
        denoised, noisy = self.image(image)
        del image  # freed before the output is written and read back: a big image is held twice, not three times
        written = [self._write_image(self._target(output_path(out, job, ".png"), inputs), denoised)]
        if noisy is not None:
            noisy_path = out / job.relative.parent / f"{job.relative.stem}.noisy.png"
            written.append(self._write_image(self._target(noisy_path, inputs), noisy))
        return written

    @staticmethod
    def _write_image(path: Path, image: np.ndarray) -> Path:
        u8 = image if image.dtype == np.uint8 else from_unit_float(to_unit_float(image), np.uint8)
        try:
            with atomic_path(path) as tmp:
                # Streamed to the file by libpng and read back before it replaces anything: the
                # output and its read-back are the only image-sized buffers (image_io).
                write_png_checked(tmp, u8)
        except ImageWriteError as exc:
            raise InputError(f"could not write {path} ({_disk_note(path) or exc}); nothing was replaced") from None
        except OSError as exc:
            raise InputError(f"could not write {path} ({exc.strerror or exc}); nothing was replaced") from None
        return path

    def _array(self, a: np.ndarray) -> np.ndarray:
        a = np.asarray(a)
        if a.ndim == 4 and a.shape[-1] == 1:
            a = a[..., 0]
        if a.ndim == 3 and a.shape[-1] in (3, 4):  # one colour image, not a batch of 3-pixel-wide ones
            return self.image(to_gray(a))[0]
        if a.ndim == 2:
            return self.image(a)[0]
        if a.ndim == 3:
            return np.stack([self.image(img)[0] for img in a])
        raise InputError(f"array of shape {a.shape}: expected (H, W), (N, H, W) or (N, H, W, 1)")

    def _array_file(self, job: Job, out: Path, inputs: set[Path]) -> list[Path]:
        target = self._target(output_path(out, job), inputs)
        npy = job.source.suffix.lower() == ".npy"
        try:
            with open(job.source, "rb") as f:
                head = f.read(6)
            if not head.startswith(b"\x93NUMPY" if npy else b"PK"):
                raise InputError(f"not a {'.npy' if npy else '.npz'} file (no NumPy {'header' if npy else 'zip'})")
            if npy:
                loaded = {"arr_0": np.load(job.source, allow_pickle=False)}
            else:
                with np.load(job.source, allow_pickle=False) as z:
                    loaded = {k: z[k] for k in z.files}
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise InputError(f"not a readable array file ({str(exc).splitlines()[0] if str(exc) else exc!r})") from None
        expected = {k: self._array(a) for k, a in loaded.items()}
        try:
            with atomic_path(target) as tmp:
                if npy:
                    with open(tmp, "wb") as f:
                        np.save(f, expected["arr_0"])
                    readback = {"arr_0": np.load(tmp, mmap_mode="r", allow_pickle=False)}
                else:
                    np.savez_compressed(tmp, **expected)  # type: ignore[arg-type]
                    with np.load(tmp, allow_pickle=False) as z:  # reads every member: CRCs are checked
                        readback = {k: z[k] for k in z.files}
                if readback.keys() != expected.keys() or not all(
                    readback[k].shape == np.shape(v) for k, v in expected.items()
                ):
                    raise InputError(f"could not write {target} (it does not read back); nothing was replaced")
        except (OSError, ValueError, EOFError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else f"{type(exc).__name__}: {exc}"
            raise InputError(f"could not write {target} ({why}); nothing was replaced") from None
        return [target]

    def _video_file(self, job: Job, out: Path, inputs: set[Path]) -> list[Path]:
        import cv2

        from dae_runtime.video_out import VideoWriteError, quiet_video_logs, video_file

        quiet_video_logs()
        try:
            with opencv_path(job.source) as name:
                capture = cv2.VideoCapture(name)
        except UnusableName:
            raise
        except OSError as exc:
            raise InputError(f"not a readable video ({exc.strerror or exc})") from None
        if not capture.isOpened():
            raise InputError("not a readable video")
        fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
        target = self._target(output_path(out, job, ".mp4"), inputs)
        try:
            with video_file(target, fps) as video:
                while True:
                    ok, frame = capture.read()
                    if not ok:
                        break
                    video.write(self.image(to_gray(frame))[0])
                if video.frames == 0:
                    raise InputError("a video without a readable frame")
        except VideoWriteError as exc:
            raise InputError(str(exc)) from None
        finally:
            capture.release()
        return [target]


def _disk_note(path: Path) -> str | None:
    from dae_runtime.video_out import free_bytes

    try:
        free = free_bytes(path.parent)
    except OSError:
        return None
    return f"the disk is full: {free:,} B free" if free < 1 << 20 else None


def denoise_files(inputs: list[str], out: Path, denoiser: Denoiser, options: DenoiseOptions, progress=None) -> Report:
    """Denoise every input into `out`; `progress(job)` is called after each one."""
    jobs, refused = collect(inputs)
    report = Report(failed=list(refused))
    resolved_inputs = {j.source.resolve() for j in jobs}
    worker = FileDenoiser(denoiser, options)
    claimed: dict[Path, Path] = {}  # output -> the input that wrote it, so no output is written twice
    for job in jobs:
        try:
            written = worker.run(job, out, resolved_inputs | set(claimed))
            claimed.update({p.resolve(): job.source for p in written})
            report.written += written
        except InputError as exc:
            report.failed.append((job.source, str(exc)))
        except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop the others
            first = (str(exc).strip().splitlines() or [""])[0][:160]
            report.failed.append((job.source, f"cannot be processed ({type(exc).__name__}: {first})"))
        if progress is not None:
            progress(job)
    return report
