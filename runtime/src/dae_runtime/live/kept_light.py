"""The live loop's digits: the page's light read again when the picture changed, not on every camera frame.

Reading a page (dae_runtime.ink_page) is in two parts. Its light (the paper's brightness, the noise,
how dark ink must be where) changes slowly and costs four fifths of reading it (2.1 of 2.6 M
instructions on a Pi 4's Cortex-A72, 2026-12-07); what is ink and where the digits are changes
whenever the page or the camera moves by a pixel. So each frame's ink, blobs, boxes and MNIST crops
come from that frame, read in the light of an earlier frame while the frame's thumbnail (every 4th
pixel of the finder's plane) stays within `max_move` gray levels (mean absolute difference) of that
frame's, and for at most `max_age` frames after it. A new page, a hand or its shadow coming in, or
the light changing moves the thumbnail by more; a still page's camera noise and a pixel of jitter
move it by less.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dae_runtime.digits import DigitCrop, largest, mnist_batch
from dae_runtime.ink_page import PageLight, Plane, light_of, plane_of, read_in_light


@dataclass(frozen=True)
class LightRules:
    # Tuned 2026-12-07 on the builtin training digits (benchmarks/kept_light.py, camera noise 0.02 and 0.05): the
    # same page again moves its thumbnail by 1.0-2.4 gray levels, with a pixel of jitter by 1.3-4.6, a hand's
    # shadow over a tenth of the page by 3.7 (dim light) to 11.4, a new page by 5.2 (dim) to 64. Under it the light
    # is kept, which costs little even when it should not have been (benchmarks/README.md: the finder's table with
    # every scene read in the light of the same scene 2 pixels away; a new page in the same light is in that light).
    max_move: float = 4.0
    max_age: int = 4  # frames a reading of the light serves after its own: read at least every 5th frame


KEEP = LightRules()


def thumbnail(plane: Plane) -> np.ndarray:
    """Every 4th pixel of the finder's plane (each already the mean of about 6x6 frame pixels): 80x60 from 640x480."""
    return np.ascontiguousarray(plane.pixels[::4, ::4])


def moved(a: np.ndarray, b: np.ndarray) -> float:
    """How far two thumbnails differ: the mean absolute difference of their pixels, in gray levels."""
    import cv2

    return cv2.norm(a, b, cv2.NORM_L1) / a.size


class KeptLightFinder:
    """extract_digits for a stream of frames: the same digits, each frame read in a light kept while it is still."""

    def __init__(self, max_digits: int | None = None, rules: LightRules = KEEP):
        self.max_digits, self.rules = max_digits, rules
        self.reads = 0  # frames whose light was read (the others were read in a kept one)
        self._thumb: np.ndarray | None = None
        self._light: PageLight | None = None
        self._age = 0

    def find(self, frame: np.ndarray) -> tuple[np.ndarray, list[DigitCrop]]:
        """The digits of a BGR or gray uint8 frame: their MNIST crops (N, 28, 28) and where each was."""
        import cv2

        from dae_runtime.digit_finder import find_boxes

        gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        plane = plane_of(gray)
        thumb = thumbnail(plane)
        if self._kept(plane, thumb):
            self._age += 1
        else:
            self._light, self._thumb, self._age, self.reads = light_of(plane), thumb, 0, self.reads + 1
        page = read_in_light(plane, self._light)
        boxes = largest(find_boxes(page), self.max_digits)
        return mnist_batch(page, boxes, lambda b: gray[b[1] : b[1] + b[3], b[0] : b[0] + b[2]])

    def _kept(self, plane: Plane, thumb: np.ndarray) -> bool:
        """Whether the kept light still holds for this frame (compared with the frame it was read on, so that
        a slow drift adds up)."""
        return (
            self._light is not None
            and self._age < self.rules.max_age
            and plane.shape == self._light.shape  # another camera, or its mode changed
            and moved(thumb, self._thumb) <= self.rules.max_move
        )
