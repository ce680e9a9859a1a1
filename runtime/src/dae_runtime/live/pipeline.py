"""The live pipeline: frame -> digits -> one batched denoise -> a composed view with FPS.

Digit mode finds the digits on paper, turns them into MNIST crops, adds the chosen noise,
denoises all crops in one call and shows input / noisy / denoised tiles of every digit beside the
frame (dae_runtime.live.view). Full-frame mode runs the fully convolutional model on the whole
(downscaled) frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dae_runtime.denoiser import Denoiser
from dae_runtime.digits import ink_map
from dae_runtime.ink_page import gray_of
from dae_runtime.live.kept_light import KeptLightFinder
from dae_runtime.live.noise_bank import NoiseBank
from dae_runtime.live.view import GREEN, PANEL, compose, tile_layout, tile_panel


class LiveError(Exception):
    """A camera or source that cannot be used; the message is for the user as is."""


@dataclass
class LiveConfig:
    add_noise: float = 0.3  # sigma of the Gaussian noise added to each crop (keys + / - change it)
    full_frame: bool = False  # denoise the whole downscaled frame instead of digit crops (key f)
    # Every digit the finder sees goes to the model, up to this many (the largest kept): a bound on the
    # batch, so a page of ink specks cannot stall a frame, not a cut of a page of digits (a 640x480 frame
    # holds a few dozen legible ones). It was 10, and on a 12-digit page the thin 1s were the ones dropped.
    max_digits: int = 64
    full_frame_width: int = 160  # full-frame mode works on this width (a multiple of 4)
    seed: int = 0


@dataclass
class FrameResult:
    make_view: Callable[[], np.ndarray]  # composes the view from this frame's figures (see `view`)
    clean: np.ndarray  # MNIST crops (or the ink map in full-frame mode), before noise
    noisy: np.ndarray
    denoised: np.ndarray
    boxes: list = field(default_factory=list)
    seconds: float = 0.0  # processing time of this frame (find, noise, denoise), without composing its view
    _view: np.ndarray | None = field(default=None, repr=False)

    @property
    def view(self) -> np.ndarray:
        """The composed BGR image, made on first use by the thread that uses it: the browser view's encoder
        composes only the frames it sends (12 of a camera's 30 a second), beside the processing."""
        if self._view is None:
            self._view = self.make_view()
        return self._view


def _with_overlay(make_view: Callable[[], np.ndarray], status: str, source: str) -> Callable[[], np.ndarray]:
    """make_view, its view with the overlay's lines as they were when the frame was processed."""

    def made() -> np.ndarray:
        import cv2

        view = make_view()
        cv2.putText(view, status, (8, view.shape[0] - 10), cv2.FONT_HERSHEY_SIMPLEX, 0.45, GREEN, 1, cv2.LINE_AA)
        if source:
            cv2.putText(view, source[:60], (8, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, GREEN, 1, cv2.LINE_AA)
        return view

    return made


class LivePipeline:
    def __init__(self, denoiser: Denoiser, config: LiveConfig | None = None):
        self.denoiser = denoiser
        self.config = config or LiveConfig()
        self.rng = np.random.default_rng(self.config.seed)
        self.noise = NoiseBank(self.rng)
        self.fps = 0.0
        self.panel_width = PANEL  # the tiles' panel: widened for a page of many digits, never narrowed
        self.source_name = ""  # the camera or stream, shown in the overlay
        self.finder = KeptLightFinder(self.config.max_digits)  # frames of a still page read in a kept light

    def process(self, frame: np.ndarray) -> FrameResult:
        import cv2

        started = time.perf_counter()
        bgr = frame if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        result = self._full_frame(gray_of(frame), bgr) if self.config.full_frame else self._digits(frame, bgr)
        result.seconds = time.perf_counter() - started
        self.fps = 1.0 / result.seconds if self.fps == 0 else 0.9 * self.fps + 0.1 / result.seconds
        result.make_view = _with_overlay(result.make_view, self.status(), self.source_name)
        return result

    def _noisy(self, x: np.ndarray) -> np.ndarray:
        return self.noise.gaussian(x, self.config.add_noise) if self.config.add_noise > 0 else x

    def find(self, frame: np.ndarray) -> tuple[np.ndarray, list]:
        """The digits of a BGR or gray frame: their MNIST crops (N, 28, 28) and where each was (DigitCrop)."""
        self.finder.max_digits = self.config.max_digits  # read each frame, as the other settings are
        return self.finder.find(frame)

    def _digits(self, frame: np.ndarray, bgr: np.ndarray) -> FrameResult:
        clean, crops = self.find(frame)
        noisy = self._noisy(clean)
        denoised = self.denoiser.denoise_batch(noisy) if len(crops) else noisy
        height, boxes = bgr.shape[0], [c.box for c in crops]
        layout = tile_layout(len(crops), height, self.panel_width)
        self.panel_width = width = max(self.panel_width, layout.width)

        def make_view() -> np.ndarray:
            return compose(bgr, boxes, tile_panel((clean, noisy, denoised), layout, height, width))

        return FrameResult(make_view, clean, noisy, denoised, boxes)

    def _full_frame(self, gray: np.ndarray, bgr: np.ndarray) -> FrameResult:
        import cv2

        w = self.config.full_frame_width
        h = min(8 * w, max(4, int(round(gray.shape[0] * w / gray.shape[1] / 4)) * 4))  # 8:1 at most
        clean = ink_map(cv2.resize(gray, (w, h), interpolation=cv2.INTER_AREA))
        noisy = self._noisy(clean)
        denoised = self.denoiser.denoise(noisy)
        strip = np.vstack([clean, noisy, denoised])
        scale = bgr.shape[0] / strip.shape[0]
        strip = cv2.resize((strip * 255).astype(np.uint8), (max(1, int(w * scale)), bgr.shape[0]))
        view = np.hstack([bgr, cv2.cvtColor(strip, cv2.COLOR_GRAY2BGR)])
        return FrameResult(lambda: view, clean, noisy, denoised)

    def status(self) -> str:
        """The overlay's line: each figure once, each with the key that changes it."""
        mode = "full frame" if self.config.full_frame else "digits"
        return f"{self.fps:5.0f} FPS  noise {self.config.add_noise:.2f} [+/-]  {mode} [f]  quit [q]"

    def handle_key(self, key: int) -> bool:
        """Apply a key press; False means quit."""
        if key in (ord("q"), 27):
            return False
        if key in (ord("+"), ord("=")):
            self.config.add_noise = min(1.0, self.config.add_noise + 0.05)
        elif key in (ord("-"), ord("_")):
            self.config.add_noise = max(0.0, self.config.add_noise - 0.05)
        elif key == ord("f"):
            self.config.full_frame = not self.config.full_frame
            self.finder.forget()  # the frames in full-frame mode were not read: their light may have changed
        return True
