"""Where the digits are on a photographed page: blobs of ink (dae_runtime.ink_page) shaped like pen strokes.

Each blob is judged against its own paper and its own tile's noise, never against the rest of
the page: a digit in a shadow or in pencil counts as much as a black one in full light.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import numpy as np

from dae_runtime.ink_page import INK, InkPage, InkRules

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class StrokeRules:
    """What an ink blob must look like to count as a handwritten or printed digit."""

    min_height: int = 12  # frame pixels: smaller is a speck
    max_height: float = 0.9  # of the frame's height
    max_area: float = 0.25  # of the frame's area (its box)
    max_width_to_height: float = 1.5  # wider is a line, a smear or several digits
    max_stroke_to_height: float = 0.7  # a filled blot or a thumb is about as thick as it is tall; strokes are not
    min_fill: float = 0.06  # ink pixels / box: less is scattered noise
    min_contrast: float = 0.18  # mean darkening of its ink / its paper: less is a smudge or a faint line
    faint: float = 0.35  # ... under this, its thickness is measured on smoothed ink (_soft_thickness)


STROKES = StrokeRules()


def find_boxes(page: InkPage, rules: StrokeRules = STROKES, noise: InkRules = INK) -> list[Box]:
    """The boxes (x, y, w, h, frame pixels) of the ink blobs shaped like digits, in reading order."""
    import cv2

    _, _, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(page.pooled, 8, cv2.CV_16U, cv2.CCL_DEFAULT)
    qh, qw = page.pooled.shape
    unit = 2 * page.step  # frame pixels per pooled pixel
    # The specks out in one call, then the dozen or so blobs left in plain Python: numpy's calls on arrays
    # that small cost more than the arithmetic (0.21 M instructions a frame on a Pi 4, against 0.04 M).
    tall = stats[1:][stats[1:, cv2.CC_STAT_HEIGHT] * unit >= rules.min_height].tolist()
    max_h, max_area = rules.max_height * qh, rules.max_area * qh * qw
    rois = [
        (2 * x, 2 * y, 2 * w, 2 * h)
        for x, y, w, h, _ in tall
        if h <= max_h
        and w * h <= max_area
        and w <= rules.max_width_to_height * h + 1
        # A blob that touches the frame's edge is the desk around a tilted page, the wedge of a shadow cut
        # off by the frame (both are darker than the paper beside them) or a digit only partly in view.
        and x > 0
        and y > 0
        and x + w < qw
        and y + h < qh
    ]
    blobs = [_judge(page, roi, rules, noise) for roi in rois]
    return _reading_order([b for b in blobs if b is not None])


def _judge(page: InkPage, roi: Box, rules: StrokeRules, noise: InkRules) -> Box | None:
    """The box (frame pixels) of the blob in `roi` (plane pixels) if it looks like pen strokes on its paper."""
    import cv2

    x0, y0, w0, h0 = roi
    bx, by, w, h = cv2.boundingRect(page.mask[y0 : y0 + h0, x0 : x0 + w0])
    if h * page.step < rules.min_height or w > rules.max_width_to_height * h:
        return None
    x, y = x0 + bx, y0 + by
    mask, ink = page.mask[y : y + h, x : x + w], page.ink[y : y + h, x : x + w]
    count = cv2.countNonZero(mask)
    if count < rules.min_fill * w * h:
        return None
    mean, paper = cv2.mean(ink, mask=mask)[0], int(page.paper[(y + h // 2) // 2, (x + w // 2) // 2])
    if mean < rules.min_contrast * paper:
        return None
    # A blob of noise is a few pixels just past the threshold: the fewer its pixels, the further past
    # the noise its mean ink must be.
    level, sigma = page.noise_at(x + w // 2, y + h // 2)
    if mean < level + sigma * (noise.blob_noise + noise.small_blob * page.blur / math.sqrt(count)):
        return None
    if mean < rules.faint * paper:  # a pencil digit, or a smudge the noise has riddled with holes
        if _soft_thickness(page.ink, (x, y, w, h)) > rules.max_stroke_to_height:
            return None
    elif count >= math.pi / 4 * (rules.max_stroke_to_height * h) ** 2:  # else no room for so thick a stroke
        if _thickness(mask) > rules.max_stroke_to_height * h:
            return None
    k = page.step
    return k * x, k * y, k * w, k * h


def _thickness(mask: np.ndarray) -> float:
    """Twice the largest distance from ink to paper: the thickest stroke of a blob (a blot's is about its height)."""
    import cv2

    solid = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    return 2 * cv2.minMaxLoc(cv2.distanceTransform(solid, cv2.DIST_L2, 5))[1]


def _soft_thickness(ink: np.ndarray, box: Box, margin: int = 4) -> float:
    """The thickest stroke of a faint blob over its height, measured on its ink averaged over 5x5
    pixels and cut at half its peak: the noise's pinholes would otherwise make a smudge look like
    thin strokes, and its rim, lost in the noise, would make it look smaller than it is."""
    import cv2

    x, y, w, h = box
    x0, y0 = max(0, x - margin), max(0, y - margin)
    soft = cv2.blur(ink[y0 : y + h + margin, x0 : x + w + margin], (5, 5))
    solid = cv2.threshold(soft, cv2.minMaxLoc(soft)[1] / 2, 255, cv2.THRESH_BINARY)[1]
    return _thickness(solid) / max(cv2.boundingRect(solid)[3], 1)


def _reading_order(boxes: list[Box]) -> list[Box]:
    if not boxes:
        return []
    # Digits whose tops differ by < a line are one row. (statistics', not numpy's median: 9 k instructions
    # on a Pi 4, not 72 k.)
    line = float(statistics.median([b[3] for b in boxes]))
    return sorted(boxes, key=lambda b: (round(b[1] / line), b[0]))
