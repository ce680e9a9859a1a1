"""MNIST-style digits from real photos, and back.

MNIST digits are white ink on black, scaled so the digit fits a 20x20 box (aspect kept) and
placed in 28x28 with its centre of mass at the centre. A photo of digits on paper is dark
ink on light paper, anywhere in the frame, under whatever light the room has.
`find_digit_boxes` locates the digits (dae_runtime.digit_finder: ink judged against the paper
around it); `extract_digits` cuts each one's ink, scaled by that digit's own full ink, and
`to_mnist` maps it into MNIST form with a single affine warp; `from_mnist` applies the inverse
of that warp, so a denoised digit can be pasted back where it was found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from dae_runtime.ink_page import InkPage

MNIST_SIZE, MNIST_BOX = 28, 20


@dataclass(frozen=True)
class DigitCrop:
    box: tuple[int, int, int, int]  # x, y, w, h in the frame
    matrix: np.ndarray  # 2x3 affine: crop pixel -> 28x28 pixel


def find_digit_boxes(frame: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) of every digit in a BGR or gray uint8 frame, in reading order."""
    from dae_runtime.digit_finder import find_boxes
    from dae_runtime.ink_page import read_page

    return find_boxes(read_page(frame))


def ink_map(gray: np.ndarray) -> np.ndarray:
    """Dark-on-light uint8 gray -> ink strength float32 in [0, 1] (paper 0, darkest ink 1).

    Ink is measured as a fraction of the paper around it, so a shadow or a dim corner does not fade it.
    """
    import cv2

    from dae_runtime.ink_page import read_page

    page = read_page(gray)
    h, w = gray.shape
    paper = cv2.resize(page.paper, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    ratio = np.maximum(paper - gray, 0) / np.maximum(paper, 1.0)
    # Full ink: the darkest the page's ink gets, as a fraction of its paper (on the blurred plane,
    # so that a noisy pixel does not set it).
    plane_paper = cv2.resize(page.paper, page.ink.shape[::-1], interpolation=cv2.INTER_NEAREST)
    top = (
        cv2.minMaxLoc(cv2.divide(page.ink, plane_paper, scale=255), mask=page.mask)[1] / 255 if page.mask.any() else 1.0
    )
    return np.minimum(ratio / max(top, 1e-3), 1.0)


def _centroid(ink: np.ndarray) -> tuple[float, float]:
    """(x, y) of an ink crop's centre of mass, pixel centres at integer + 0.5 (its centre if it has no ink)."""
    import cv2

    m = cv2.moments(ink)
    if m["m00"] <= 0:
        return ink.shape[1] / 2, ink.shape[0] / 2
    return m["m10"] / m["m00"] + 0.5, m["m01"] / m["m00"] + 0.5


def _mnist_matrix(w: int, h: int, centre: tuple[float, float]) -> np.ndarray:
    """The 2x3 affine that scales a w x h crop into the 20x20 box and puts `centre` at the 28x28 centre."""
    scale = MNIST_BOX / max(w, h)
    # Centre of mass to the centre, but never push the 20x20 box out of the 28x28 frame.
    ox = min(max(MNIST_SIZE / 2 - scale * centre[0], 0.0), MNIST_SIZE - scale * w)
    oy = min(max(MNIST_SIZE / 2 - scale * centre[1], 0.0), MNIST_SIZE - scale * h)
    return np.array([[scale, 0, ox], [0, scale, oy]], np.float32)


def to_mnist(crop: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, DigitCrop]:
    """The ink crop cut at `box` (float32 (h, w) in [0, 1]) as an MNIST digit (28, 28), and the mapping used."""
    import cv2

    matrix = _mnist_matrix(box[2], box[3], _centroid(crop))
    digit = cv2.warpAffine(crop, matrix, (MNIST_SIZE, MNIST_SIZE), flags=cv2.INTER_AREA, borderValue=0)
    return np.clip(digit, 0, 1), DigitCrop(box, matrix)


def from_mnist(digit: np.ndarray, crop: DigitCrop) -> np.ndarray:
    """Inverse of to_mnist: a (28, 28) digit back to the crop's (h, w) ink map."""
    import cv2

    _, _, w, h = crop.box
    return cv2.warpAffine(digit, crop.matrix, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)


def paste_ink(gray: np.ndarray, ink_patch: np.ndarray, crop: DigitCrop, paper: int = 255, ink: int = 0) -> None:
    """Draw an ink map into a uint8 gray image in place, as dark ink on paper."""
    x, y, w, h = crop.box
    gray[y : y + h, x : x + w] = np.clip(paper + (ink - paper) * ink_patch, 0, 255).astype(np.uint8)


Box = tuple[int, int, int, int]


def _mnist_digit(page: InkPage, patch: np.ndarray, box: Box, out: np.ndarray) -> tuple[float, DigitCrop]:
    """A found digit in MNIST form: its ink at the frame's resolution, from `patch`, the frame's gray pixels
    under `box`, warped into `out` (uint8 (28, 28)), to be scaled by its own full ink, the value returned (the
    most its plane pixels, averaged over about 6x6 frame pixels, are darker than their paper: the noise's
    peaks in single pixels would otherwise set the scale and make the digit look faint)."""
    import cv2

    x, y, w, h = box
    k = page.step
    plane = (slice(y // k, (y + h) // k), slice(x // k, (x + w) // k))
    top = max(cv2.minMaxLoc(page.ink[plane], mask=page.mask[plane])[1], 1.0)
    # The centre of mass from the (smaller) plane; the warp on uint8 ink and the scaling on the 28x28
    # results, so that only those pixels ever become float (mnist_batch: the whole batch at once).
    # (cv2 takes INTER_AREA as linear in a warp: the ink stays within 0..255.)
    cx, cy = _centroid(page.ink[plane])
    matrix = _mnist_matrix(w, h, (k * cx, k * cy))
    ink = cv2.subtract(page.paper_under(box), patch)
    cv2.warpAffine(ink, matrix, (MNIST_SIZE, MNIST_SIZE), dst=out, flags=cv2.INTER_AREA, borderValue=0)
    return top, DigitCrop(box, matrix)


def largest(boxes: list[Box], max_digits: int | None) -> list[Box]:
    """The `max_digits` largest boxes (all with None), in their own order."""
    if max_digits is None or len(boxes) <= max_digits:
        return boxes
    kept = sorted(boxes, key=lambda b: -b[2] * b[3])[:max_digits]
    return [b for b in boxes if b in kept]


def mnist_batch(
    page: InkPage, boxes: list[Box], patch: Callable[[Box], np.ndarray]
) -> tuple[np.ndarray, list[DigitCrop]]:
    """The digits in `boxes` of a page read by read_page as an MNIST batch (N, 28, 28) and their mappings;
    `patch(box)` gives the frame's gray pixels under a box (the frame the page was read on, or a later one)."""
    if not boxes:
        return np.zeros((0, MNIST_SIZE, MNIST_SIZE), np.float32), []
    inks = np.empty((len(boxes), MNIST_SIZE, MNIST_SIZE), np.uint8)  # each warp writes into its row
    found = [_mnist_digit(page, patch(box), box, ink) for box, ink in zip(boxes, inks, strict=True)]
    tops, crops = zip(*found, strict=True)
    # One scaling for the batch, not three numpy calls a digit (each costs more than its 784 pixels on a
    # Pi). Each digit's 1 / top as float32, as `digit * (1.0 / top)` would have it: the same numbers.
    digits = inks.astype(np.float32)
    digits *= np.array([1.0 / top for top in tops], np.float32)[:, None, None]
    return np.minimum(digits, 1.0, out=digits), list(crops)


def extract_digits(frame: np.ndarray, max_digits: int | None = None) -> tuple[np.ndarray, list[DigitCrop]]:
    """Every digit of a photo (BGR or gray uint8) as an MNIST batch (N, 28, 28) and their mappings, in
    reading order; with max_digits, only the largest that many. Each digit's ink is scaled by its
    own full ink, so a digit in a shadow or in pencil comes out as dark as one in ink in full light."""
    from dae_runtime.digit_finder import find_boxes
    from dae_runtime.ink_page import read_page

    page = read_page(frame)
    return mnist_batch(page, largest(find_boxes(page), max_digits), gray_patch(frame))


def gray_patch(frame: np.ndarray) -> Callable[[Box], np.ndarray]:
    """box -> the frame's pixels under it in gray (a BGR frame's turned gray box by box: the finder's plane is
    made from the BGR frame, so no gray frame is made)."""
    from dae_runtime.ink_page import gray_of

    return lambda b: gray_of(frame[b[1] : b[1] + b[3], b[0] : b[0] + b[2]])
