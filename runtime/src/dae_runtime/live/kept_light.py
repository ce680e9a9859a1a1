"""The live loop's digits: the page's light read again when the picture changed, not on every camera frame.

Reading a page (dae_runtime.ink_page) is in two parts. Its light (the paper's brightness, the noise,
how dark ink must be where) changes slowly and costs four fifths of reading it (2.1 of 2.6 M
instructions on a Pi 4's Cortex-A72, 2026-12-07); what is ink and where the digits are changes
whenever the page or the camera moves by a pixel. So each frame's ink, blobs, boxes and MNIST crops
come from that frame, read in the light of an earlier frame while the frame's thumbnail (every 4th
pixel of the finder's plane) stays within `max_move` percent (mean absolute difference over mean) of
that frame's, and for at most `max_age` frames after it. A new page, a hand or its shadow coming in, or
the light changing moves the thumbnail by more; a still page's camera noise and a pixel of jitter
move it by less.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dae_runtime.digits import DigitCrop, gray_patch, largest, mnist_batch
from dae_runtime.ink_page import PageLight, Plane, light_of, plane_of, read_in_light


@dataclass(frozen=True)
class LightRules:
    # Tuned 2026-12-07 on the builtin training digits (benchmarks/kept_light.py, camera noise 0.02 and 0.05): the
    # same page again moves its thumbnail by 0.5-1.5 %, with a pixel of jitter by 0.7-2.3 % (dim light with the
    # stronger noise: 3.5 and 4.0 %, so read every frame), a hand's shadow over a tenth of the page by 2.8-7.6 %,
    # a new page by 6.7-37 %. On the validation digits: jitter up to 2.3 %, hands from 2.8 %, new pages from 4.6 %.
    max_move: float = 2.5  # percent of the thumbnail's mean brightness (so that a dim page counts like a bright one)
    max_age: int = 4  # frames a reading of the light serves after its own: read at least every 5th frame


KEEP = LightRules()


def thumbnail(plane: Plane) -> np.ndarray:
    """Every 4th pixel of the finder's plane (each already the mean of about 6x6 frame pixels): 80x60 from 640x480."""
    return np.ascontiguousarray(plane.pixels[::4, ::4])


def moved(thumb: np.ndarray, kept: np.ndarray) -> float:
    """How far a thumbnail is from a kept one: the mean absolute difference of their pixels, in percent of the
    kept one's mean (a page in dim light moves its thumbnail by fewer gray levels than a bright one)."""
    import cv2

    return 100 * cv2.norm(thumb, kept, cv2.NORM_L1) / max(cv2.norm(kept, cv2.NORM_L1), 1.0)


class KeptLightFinder:
    """extract_digits for a stream of frames: the same digits, each frame read in a light kept while it is still."""

    def __init__(self, max_digits: int | None = None, rules: LightRules = KEEP):
        self.max_digits, self.rules = max_digits, rules
        self.reads = 0  # frames whose light was read (the others were read in a kept one)
        self._kept: tuple[PageLight, np.ndarray] | None = (
            None  # the light and the thumbnail of the frame it was read on
        )
        self._age = 0

    def forget(self) -> None:
        """Read the next frame's light afresh (the frames between were not seen: full-frame mode)."""
        self._kept = None

    def find(self, frame: np.ndarray) -> tuple[np.ndarray, list[DigitCrop]]:
        """The digits of a BGR or gray uint8 frame: their MNIST crops (N, 28, 28) and where each was."""
        from dae_runtime.digit_finder import find_boxes

        plane = plane_of(frame)
        thumb = thumbnail(plane)
        light = self._light_for(plane, thumb)
        if light is None:
            light, self._age, self.reads = light_of(plane), 0, self.reads + 1
            light.frame_paper.keep()  # its crops' paper for every frame read in it
            self._kept = light, thumb
        else:
            self._age += 1
        page = read_in_light(plane, light)
        boxes = largest(find_boxes(page), self.max_digits)
        return mnist_batch(page, boxes, gray_patch(frame))

    def _light_for(self, plane: Plane, thumb: np.ndarray) -> PageLight | None:
        """The kept light if it still holds for this frame, else None (the thumbnail is compared with the frame
        the light was read on, so that a slow drift adds up)."""
        if self._kept is None or self._age >= self.rules.max_age:
            return None
        light, kept_thumb = self._kept
        if plane.shape != light.shape or moved(thumb, kept_thumb) > self.rules.max_move:  # another camera, or moved
            return None
        return light
