"""MNIST-style digits from real photos, and back.

MNIST digits are white ink on black, scaled so the digit fits a 20x20 box (aspect kept) and
placed in 28x28 with its centre of mass at the centre. A photo of digits on paper is dark
ink on light paper, anywhere in the frame. `find_digits` locates the ink blobs;
`to_mnist` maps one's crop into MNIST form with a single affine warp, and `from_mnist` applies the
inverse of that warp, so a denoised digit can be pasted back where it was found.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MNIST_SIZE, MNIST_BOX = 28, 20
# The paper's brightness is the brightest value within this many quarter-resolution pixels (84 in the
# frame): wider than any mark, so a large blot stays solid instead of turning into a ring of "ink".
PAPER_WINDOW = 21


@dataclass(frozen=True)
class DigitCrop:
    box: tuple[int, int, int, int]  # x, y, w, h in the frame
    matrix: np.ndarray  # 2x3 affine: crop pixel -> 28x28 pixel


@dataclass(frozen=True)
class InkMaps:
    ink: np.ndarray  # uint8 ink strength at full resolution (paper 0): what the crops are cut from
    top: float  # the level that counts as full ink in `ink`
    smooth: np.ndarray  # uint8 ink averaged over about 5x5 frame pixels: what digits are found in
    smooth_top: float
    step: int  # frame pixels per `smooth` pixel (2 on frames 480 wide or more, else 1)


def _ink_maps(gray: np.ndarray) -> InkMaps:
    """Ink strength (paper 0) at full resolution, and a smoothed copy for finding digits.

    The paper's brightness varies over a photo, so it is estimated locally: a max filter
    (dilation) wipes out the dark strokes. Noise is averaged away before anything is
    thresholded: on frames 480 pixels wide or more a 2x area downscale and a 3x3 box blur cut
    its sigma about 6-fold (and halve the work); smaller frames, whose digits have few pixels
    to spare, get a 5x5 box blur at full resolution. A pen stroke several pixels wide keeps its
    contrast. All of it costs about a millisecond on a 640x480 frame.
    """
    import cv2

    h, w = gray.shape
    step = 2 if w >= 480 else 1
    if step == 2:
        half = cv2.blur(cv2.resize(gray, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA), (3, 3))
    else:
        half = cv2.blur(gray, (5, 5))
    quarter = cv2.resize(half, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    paper = cv2.dilate(quarter, cv2.getStructuringElement(cv2.MORPH_RECT, (PAPER_WINDOW, PAPER_WINDOW)))
    smooth = cv2.subtract(cv2.resize(paper, half.shape[::-1], interpolation=cv2.INTER_LINEAR), half)
    ink = cv2.subtract(cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR), gray)
    smooth_top = max(cv2.minMaxLoc(smooth)[1], 1.0)
    # Full ink in the sharp map is what the strokes reach in the smoothed one: the noise's peaks
    # would otherwise set the scale and make every digit look faint.
    return InkMaps(ink, smooth_top, smooth, smooth_top, step)


def _ink_u8(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """Ink strength as uint8 (paper 0) and the level that counts as full ink."""
    maps = _ink_maps(gray)
    return maps.ink, maps.top


def ink_map(gray: np.ndarray) -> np.ndarray:
    """Dark-on-light uint8 gray -> ink strength float32 in [0, 1] (paper 0, darkest ink 1)."""
    ink, top = _ink_u8(gray)
    return np.minimum(ink.astype(np.float32) / top, 1.0)


@dataclass(frozen=True)
class StrokeRules:
    """What an ink blob must look like to count as a handwritten or printed digit."""

    min_height: int = 12  # frame pixels: smaller is a speck
    max_width_to_height: float = 1.5  # wider is a line, a smear or several digits
    max_stroke_to_height: float = 0.7  # a filled blot or a thumb is about as thick as it is tall; strokes are not
    min_fill: float = 0.06  # ink pixels / box: less is scattered noise joined by the closing
    min_contrast: float = 0.5  # mean ink of the blob / full ink: less is a shadow or a faint smudge


STROKES = StrokeRules()


def _is_stroke(mask_roi: np.ndarray, smooth_roi: np.ndarray, top: float, w: int, h: int, rules: StrokeRules) -> bool:
    import cv2

    ink = cv2.countNonZero(mask_roi)
    if ink < rules.min_fill * w * h:
        return False
    if cv2.mean(smooth_roi, mask=mask_roi)[0] < rules.min_contrast * top:
        return False
    # Twice the largest distance from ink to paper is the thickest stroke of the blob; the median
    # fills the noise's pinholes, which would otherwise make a blot look like thin strokes.
    solid = cv2.medianBlur(cv2.copyMakeBorder(mask_roi, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0), 3)
    thickness = 2 * cv2.minMaxLoc(cv2.distanceTransform(solid, cv2.DIST_L2, cv2.DIST_MASK_PRECISE))[1]
    return thickness <= rules.max_stroke_to_height * h


def _boxes(
    mask: np.ndarray, smooth: np.ndarray, top: float, max_digits: int, step: int, rules: StrokeRules = STROKES
) -> list[tuple[int, int, int, int]]:
    import cv2

    # The closing joins a digit's broken strokes into one blob; the strokes are judged on the mask before it.
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    frame_h, frame_w = mask.shape
    boxes = []
    for c in contours:
        x, y, w, h = cv2.boundingRect(c)
        if h * step < rules.min_height or h > 0.9 * frame_h or w > rules.max_width_to_height * h:
            continue
        if w * h > 0.25 * frame_h * frame_w:
            continue
        roi = (slice(y, y + h), slice(x, x + w))
        if _is_stroke(mask[roi], smooth[roi], top, w, h, rules):
            boxes.append((x, y, w, h))
    largest = sorted(boxes, key=lambda b: -b[2] * b[3])[:max_digits]
    if not largest:
        return []
    line = float(np.median([b[3] for b in largest]))  # digits whose tops differ by < a line are one row
    return sorted(largest, key=lambda b: (round(b[1] / line), b[0]))


def find_digits(maps: InkMaps, max_digits: int = 16) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) of ink strokes shaped like digits, in reading order, in full-resolution pixels."""
    import cv2

    _, mask = cv2.threshold(maps.smooth, 0.35 * maps.smooth_top, 255, cv2.THRESH_BINARY)
    fh, fw = maps.ink.shape
    boxes = []
    k = maps.step
    for x, y, w, h in _boxes(mask, maps.smooth, maps.smooth_top, max_digits, k):
        x0, y0 = k * x, k * y
        boxes.append((x0, y0, min(k * w, fw - x0), min(k * h, fh - y0)))
    return boxes


def to_mnist(crop: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, DigitCrop]:
    """The ink crop cut at `box` (float32 (h, w) in [0, 1]) as an MNIST digit (28, 28), and the mapping used."""
    import cv2

    _, _, w, h = box
    scale = MNIST_BOX / max(w, h)
    m = cv2.moments(crop)
    if m["m00"] > 0:
        cy, cx = m["m01"] / m["m00"], m["m10"] / m["m00"]
    else:
        cy, cx = h / 2, w / 2
    # Centre of mass to the centre, but never push the 20x20 box out of the 28x28 frame.
    ox = np.clip(MNIST_SIZE / 2 - scale * (cx + 0.5), 0, MNIST_SIZE - scale * w)
    oy = np.clip(MNIST_SIZE / 2 - scale * (cy + 0.5), 0, MNIST_SIZE - scale * h)
    matrix = np.array([[scale, 0, ox], [0, scale, oy]], np.float32)
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


def extract_digits(gray: np.ndarray, max_digits: int = 16) -> tuple[np.ndarray, list[DigitCrop]]:
    """All digits of a photo as an MNIST batch (N, 28, 28) and their mappings."""
    maps = _ink_maps(gray)
    ink_u8, top = maps.ink, maps.top
    pairs = []
    for box in find_digits(maps, max_digits):
        x, y, w, h = box  # only the crops become float, never the whole frame
        pairs.append(to_mnist(np.minimum(ink_u8[y : y + h, x : x + w].astype(np.float32) / top, 1.0), box))
    if not pairs:
        return np.zeros((0, MNIST_SIZE, MNIST_SIZE), np.float32), []
    digits, crops = zip(*pairs, strict=True)
    return np.stack(digits), list(crops)


def find_digit_boxes(frame: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) of the digits in a BGR or gray uint8 frame, in reading order."""
    import cv2

    gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return find_digits(_ink_maps(gray), max_digits=64)
