"""Desk-webcam scenes of handwritten digits with their true boxes: test and benchmark material.

`render_scene(digits, spec, seed)` draws 12 digits (MNIST-style, white on black, taken from the
`digits` it is given: the caller brings real handwriting, e.g. dae_train's builtin digits) as
ink on a 640x480 page under the light and camera of `spec`, and returns the BGR frame and the
true box (x, y, w, h) of each digit's ink (where the drawn ink covers half a pixel or more).
`CONDITIONS` names one departure each from a plain page of black ink in even light; every
condition combines with any noise level (SceneSpec.noise).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from dae_runtime import scene_light

Box = tuple[int, int, int, int]
DESK = (0.22, 0.30, 0.38)  # a wooden desk around a tilted page (BGR reflectance)


@dataclass(frozen=True)
class SceneSpec:
    paper: str = "plain"  # plain, ruled or grid
    ink: str = "black"  # black, blue (ballpoint) or pencil
    light: str = "even"  # even, hard_shadow, soft_shadow, dim or glare (scene_light.illumination)
    tilt: bool = False  # the page turned 5-15 degrees with a little perspective, the desk showing
    motion_blur: bool = False  # a 5-11 px smear in a random direction
    jpeg: bool = False  # MJPEG at a webcam's quality 40-75
    washed_out: bool = False  # a hazy, overexposed camera: black ink comes out mid-gray (low contrast)
    noise: float = 0.0  # Gaussian sigma on the 0..1 scale, added by the camera before its JPEG
    digits: int = 12
    size: tuple[int, int] = (480, 640)  # (height, width)
    grid: tuple[int, int] = (3, 4)  # rows, columns of the digits' layout


CONDITIONS: dict[str, SceneSpec] = {
    "plain": SceneSpec(),
    "ruled": SceneSpec(paper="ruled"),
    "grid": SceneSpec(paper="grid"),
    "blue ballpoint": SceneSpec(ink="blue"),
    "pencil": SceneSpec(ink="pencil"),
    "hard shadow": SceneSpec(light="hard_shadow"),
    "soft shadow": SceneSpec(light="soft_shadow"),
    "dim": SceneSpec(light="dim"),
    "low contrast": SceneSpec(washed_out=True),
    "glare": SceneSpec(light="glare"),
    "tilt": SceneSpec(tilt=True),
    "motion blur": SceneSpec(motion_blur=True),
    "mjpeg": SceneSpec(jpeg=True),
}


def condition(name: str, noise: float = 0.0) -> SceneSpec:
    """The spec of a named condition (CONDITIONS) at a noise level."""
    return replace(CONDITIONS[name], noise=noise)


def _coverage(digit: np.ndarray, side: int, rng: np.random.Generator) -> np.ndarray:
    """A 28x28 digit (uint8 or float) as ink coverage in [0, 1] at side x side, its strokes thinner or thicker."""
    import cv2

    d = digit.astype(np.float32) / (255.0 if digit.dtype == np.uint8 else 1.0)
    big = cv2.resize(d, (side, side), interpolation=cv2.INTER_CUBIC)
    low = float(rng.uniform(0.1, 0.45))  # where the stroke's edge falls: a fine pen to a marker
    return np.clip((big - low) / 0.3, 0.0, 1.0)


def _layout(spec: SceneSpec, digits: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Ink coverage (h, w) and digit labels (h, w; 0 = paper, i + 1 = digit i) of `spec.digits` digits."""
    h, w = spec.size
    rows, cols = spec.grid
    coverage = np.zeros((h, w), np.float32)
    labels = np.zeros((h, w), np.uint8)
    cell_w, cell_h = (w - 40) // cols, (h - 40) // rows
    picks = rng.choice(len(digits), spec.digits, replace=len(digits) < spec.digits)
    for i, pick in enumerate(picks[: rows * cols]):
        r, c = divmod(i, cols)
        side = int(min(cell_w, cell_h) * rng.uniform(0.4, 0.62))
        x0 = 20 + c * cell_w + int(rng.integers(0, cell_w - side + 1))
        y0 = 20 + r * cell_h + int(rng.integers(0, cell_h - side + 1))
        ink = _coverage(digits[pick], side, rng)
        region = coverage[y0 : y0 + side, x0 : x0 + side]
        np.maximum(region, ink, out=region)
        labels[y0 : y0 + side, x0 : x0 + side][_body(ink >= 0.5)] = i + 1
    return coverage, labels


def _body(ink: np.ndarray) -> np.ndarray:
    """The digit's ink without stray dots: pieces under 2 % of its ink (MNIST digits carry a few) are
    drawn but are not part of its true box."""
    import cv2

    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= 0.02 * areas.sum()) + 1
    return np.isin(labels, keep)


def _true_boxes(labels: np.ndarray, n: int) -> list[Box]:
    import cv2

    boxes = []
    for i in range(1, n + 1):
        x, y, w, h = cv2.boundingRect((labels == i).astype(np.uint8))
        if w and h:
            boxes.append((x, y, w, h))
    return boxes


def render_scene(digits: np.ndarray, spec: SceneSpec, seed: int = 0) -> tuple[np.ndarray, list[Box]]:
    """The BGR uint8 frame of `spec` with digits drawn from `digits` ((N, 28, 28), white on black), and the
    true box of each digit, in layout order (rows top to bottom, left to right in each)."""
    import cv2

    rng = np.random.default_rng(seed)
    h, w = spec.size
    coverage, labels = _layout(spec, digits, rng)
    if spec.ink == "pencil":
        coverage = scene_light.pencil_grain(coverage, rng)
    elif spec.ink not in scene_light.INKS:
        raise ValueError(f"unknown ink {spec.ink!r} (black, blue or pencil)")
    paper = scene_light.paper_reflectance(spec.paper, spec.size, rng)
    ink = np.array(scene_light.INKS[spec.ink], np.float32)
    page = paper + coverage[..., None] * (ink - paper)
    if spec.tilt:
        degrees = float(rng.uniform(5, 15) * rng.choice([-1, 1]))
        matrix = scene_light.tilt_matrix(degrees, spec.size, rng)
        page = cv2.warpPerspective(page, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=DESK)
        labels = cv2.warpPerspective(labels, matrix, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
    light, glare = scene_light.illumination(spec.light, spec.size, rng)
    image = page * light[..., None]
    if glare is not None:
        image += glare[..., None]
    if spec.washed_out:
        image = 0.42 + 0.5 * image
    if spec.motion_blur:
        image = scene_light.motion_blur(image, int(rng.integers(5, 12)), rng)
    quality = int(rng.integers(40, 76)) if spec.jpeg else 0
    return scene_light.camera(image, spec.noise, quality, rng), _true_boxes(labels, spec.digits)


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (x, y, w, h)."""
    iw = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / float(a[2] * a[3] + b[2] * b[3] - inter)


def matched(found: list[Box], truth: list[Box], threshold: float = 0.5) -> int:
    """How many found boxes match a true box: IoU >= threshold, each box of either list used once
    (greedily, best IoU first)."""
    pairs = sorted(((iou(f, t), i, j) for i, f in enumerate(found) for j, t in enumerate(truth)), reverse=True)
    used_f: set[int] = set()
    used_t: set[int] = set()
    for score, i, j in pairs:
        if score < threshold:
            break
        if i not in used_f and j not in used_t:
            used_f.add(i)
            used_t.add(j)
    return len(used_f)
