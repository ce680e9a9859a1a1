"""What is ink on a photographed page: each pixel against the paper around it, never a page-wide scale.

A webcam sees a page under uneven light: a hand's shadow with a hard edge, a dim room, a glare
spot, pencil next to pen. So ink is decided locally, in three parts:
- the paper: a morphological closing of the frame (a max filter, then a min filter) over an
  octagon 84 frame pixels wide. It wipes out every mark narrower than that, keeps a blot solid,
  and follows a shadow's edge instead of smearing the bright side over it (an edge is a step,
  not a dark line: it stays paper);
- the ink scale: a pixel is ink when its darkening, as a fraction of its paper, is a good part
  of the darkest such fraction within 124 frame pixels (pencil is judged against pencil, a digit
  in a shadow against that shadow's paper), and above a small minimum;
- the noise: it must also be darker than its paper by a few times the noise measured in its
  80-pixel tile (a camera clips the noise on bright paper, not in a shadow; an eighth of the width
  on larger frames).

It all runs on the frame downscaled 2x (the "plane"; the paper and thresholds on 4x), a fixed
two dozen OpenCV calls, so it costs the same whatever the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PAPER_WINDOW = 21  # paper pixels (84 frame pixels from 480 wide, 42 below): wider than any mark
DIAMOND = 2  # the octagon's cut corners: its square is PAPER_WINDOW - 2 * DIAMOND wide
INK_WINDOW = 124  # frame pixels over which the darkest ink sets the scale
NOISE_TILE = 80  # frame pixels (an eighth of the width on frames over 640 wide): the noise is measured per tile


@dataclass(frozen=True)
class InkRules:
    of_local: float = 0.45  # ink: darkening / paper >= this much of the darkest nearby
    min_ratio: float = 0.12  # ... and >= this
    noise_floor: float = 2.05  # ... and darker than the paper's noise level by this many sigmas
    blob_noise: float = 1.64  # a blob's mean ink must clear the noise level by this many sigmas
    small_blob: float = 2.2  # ... plus this many over the square root of its independent samples (pixels / blur area)


INK = InkRules()


@dataclass(frozen=True)
class InkPage:
    """The finder's view of a frame. "Plane" pixels are the frame's downscaled 1/step; the paper's are 2x2 of them."""

    plane: np.ndarray  # uint8 gray, lightly blurred
    paper: np.ndarray  # uint8 the paper's brightness, at half the plane's resolution
    ink: np.ndarray  # uint8 plane: how much darker than its paper each pixel is
    mask: np.ndarray  # uint8 plane: 255 where that is ink
    pooled: np.ndarray  # uint8 at the paper's resolution: nonzero where any of its 2x2 plane pixels is ink
    level: list  # per noise tile [row][col]: the ink plane's level on bare paper
    sigma: list  # per noise tile: the noise's sigma
    tile: int  # plane pixels per noise tile
    step: int  # frame pixels per plane pixel (2 on frames 480 wide or more, else 1)
    blur: int  # the box blur's width: plane pixels closer than this share noise
    frame_paper: FramePaper  # the paper at the frame's resolution, kept with the light the page was read in

    def noise_at(self, x: int, y: int) -> tuple[float, float]:
        """The ink's level on bare paper and the noise's sigma at plane pixel (x, y)."""
        row, col = min(y // self.tile, len(self.level) - 1), min(x // self.tile, len(self.level[0]) - 1)
        return self.level[row][col], self.sigma[row][col]

    def paper_under(self, box: tuple[int, int, int, int]) -> np.ndarray:
        """The paper under a box (x, y, w, h) of the frame, at the frame's resolution (each paper pixel repeated)."""
        return self.frame_paper.under(box)


class FramePaper:
    """A page light's paper at the frame's resolution (each paper pixel as 2 x step frame pixels), under a crop's box.

    Read once (a photo), each crop's block of the paper is repeated up to the frame's resolution: a few boxes of a
    large scan cost their own pixels, not the scan's. Kept with a light over many frames (the live loop, `keep`),
    the whole paper is made once and each crop's is one slice of it: 0.19 M instructions once per light for a
    640x480 frame on a Pi 4's Cortex-A72, against 46,000 a crop for the blocks (benchmarks/README.md, the live loop
    on a Pi's budget, 2026-12-07). Both give the same pixels."""

    def __init__(self, plane_paper: np.ndarray, step: int, shape: tuple):
        self.plane_paper, self.step, self.shape = plane_paper, step, shape  # shape: the gray frame's (height, width)
        self._full: np.ndarray | None = None

    def under(self, box: tuple[int, int, int, int]) -> np.ndarray:
        x, y, w, h = box
        if self._full is not None:
            return self._full[y : y + h, x : x + w]
        k = self.step  # frame pixels per plane pixel
        block = self.plane_paper[y // k : -(-(y + h) // k), x // k : -(-(x + w) // k)]
        if k > 1:
            block = block.repeat(k, axis=0).repeat(k, axis=1)
        return _to_size(block[y % k : y % k + h, x % k : x % k + w], (h, w))

    def keep(self) -> FramePaper:
        """Make the whole paper now, for the many crops of the frames to be read in this light."""
        if self._full is None:
            full = _double(self.plane_paper) if self.step == 2 else self.plane_paper
            self._full = _to_size(full, self.shape)
        return self


def _to_size(paper: np.ndarray, shape: tuple) -> np.ndarray:
    """The plane drops an odd last row or column: the frame's edge takes the paper beside it."""
    bottom, right = max(0, shape[0] - paper.shape[0]), max(0, shape[1] - paper.shape[1])
    if not (bottom or right):
        return paper
    import cv2

    return cv2.copyMakeBorder(paper, 0, bottom, 0, right, cv2.BORDER_REPLICATE)


@dataclass(frozen=True)
class Plane:
    """A gray frame downscaled and blurred for the finder: its noise averaged away."""

    pixels: np.ndarray  # uint8, an even number of rows and columns (a paper pixel is 2x2 of them)
    step: int  # frame pixels per plane pixel (2 on frames 480 wide or more, else 1)
    blur: int  # the box blur's width: plane pixels closer than this share noise
    shape: tuple  # the gray frame's (height, width)


@dataclass(frozen=True)
class PageLight:
    """What a frame shows of the page's light, which changes slowly: the paper, the noise per tile and the
    threshold of ink (both at the paper's resolution). A later frame of the same still page can be read
    in it (read_in_light) without estimating them again."""

    paper: np.ndarray
    threshold: np.ndarray  # uint8 at the paper's resolution: darker than its paper by more than this is ink
    plane_paper: np.ndarray  # the paper and the threshold at the plane's resolution (each pixel as 2x2)
    plane_threshold: np.ndarray
    level: list
    sigma: list
    tile: int
    shape: tuple  # the gray frame's (height, width)
    frame_paper: FramePaper  # `paper` at the frame's resolution, made when a crop first needs it


def read_page(frame: np.ndarray, rules: InkRules = INK) -> InkPage:
    """The finder's view of a uint8 BGR or gray frame: noise averaged away (2x area downscale + 3x3 box blur
    from 480 px wide, else a 5x5 box blur), the paper, and what counts as ink where."""
    plane = plane_of(frame)
    return read_in_light(plane, light_of(plane, rules))


def gray_of(frame: np.ndarray) -> np.ndarray:
    """A uint8 BGR or gray image in gray."""
    import cv2

    return frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def plane_of(frame: np.ndarray) -> Plane:
    """The frame (BGR or gray uint8) as the finder reads it. A BGR frame of 480 columns or more is downscaled before
    it is turned gray: a quarter of the pixels to convert (0.24 M instructions a 640x480 frame less on a Pi 4's
    Cortex-A72, the crops' own few pixels turned gray with them; 2026-12-07)."""
    import cv2

    if min(frame.shape[:2]) < 16:  # room for the filters; a smaller frame holds no digit anyway
        frame = cv2.copyMakeBorder(
            frame, 0, max(0, 16 - frame.shape[0]), 0, max(0, 16 - frame.shape[1]), cv2.BORDER_REPLICATE
        )
    h, w = frame.shape[:2]
    step, blur = (2, 3) if w >= 480 else (1, 5)
    if step == 2:
        small = gray_of(cv2.resize(frame, (w // 2, h // 2), interpolation=cv2.INTER_AREA))
    else:
        small = gray_of(frame)
    pixels = cv2.blur(small, (blur, blur))
    return Plane(pixels[: pixels.shape[0] // 2 * 2, : pixels.shape[1] // 2 * 2], step, blur, (h, w))


def read_in_light(plane: Plane, light: PageLight) -> InkPage:
    """The finder's view of a frame in the light of a frame of the same size (its own, from light_of, or an
    earlier one's): what is ink where. With plane_of, a fifth of read_page's instructions (0.56 of 2.6 M on a
    Pi 4's Cortex-A72, 2026-12-07): light_of is the rest."""
    import cv2

    if plane.shape != light.shape:
        raise ValueError(f"a {plane.shape} frame cannot be read in the light of a {light.shape} one")
    size = (plane.pixels.shape[1] // 2, plane.pixels.shape[0] // 2)
    ink = cv2.subtract(light.plane_paper, plane.pixels)
    mask = cv2.compare(ink, light.plane_threshold, cv2.CMP_GT)
    pooled = cv2.resize(mask, size, interpolation=cv2.INTER_AREA)
    return InkPage(
        plane.pixels, light.paper, ink, mask, pooled, light.level, light.sigma, light.tile, plane.step, plane.blur,
        light.frame_paper,
    )  # fmt: skip


def light_of(plane: Plane, rules: InkRules = INK) -> PageLight:
    """The page's light as a frame's plane shows it: the paper, the noise and the threshold of ink."""
    import cv2

    pixels, step = plane.pixels, plane.step
    size = (pixels.shape[1] // 2, pixels.shape[0] // 2)
    paper = _closing(cv2.blur(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA), (3, 3)))
    ink_q = cv2.subtract(paper, pixels[::2, ::2])
    # Wider than a digit, so that the paper is most of any tile: digits grow with the frame.
    tile = max(NOISE_TILE, plane.shape[1] // 8) // step // 4 * 4
    level, sigma = _noise(ink_q, pixels, plane.blur, tile)
    floor = cv2.resize(np.maximum(level + rules.noise_floor * sigma, 4.0), size, interpolation=cv2.INTER_LINEAR)
    # The darkest ink nearby as a fraction of its paper (255 = black on white), then in gray levels.
    darkest = cv2.dilate(cv2.divide(ink_q, paper, scale=255), _rect(INK_WINDOW // (2 * step) | 1))
    scale = np.maximum(darkest, np.uint8(255 * rules.min_ratio / rules.of_local))
    threshold = cv2.max(cv2.multiply(scale, paper, scale=rules.of_local / 255), floor.astype(np.uint8))
    plane_paper, plane_threshold = _double(paper), _double(threshold)
    frame_paper = FramePaper(plane_paper, step, plane.shape)
    return PageLight(
        paper, threshold, plane_paper, plane_threshold, level.tolist(), sigma.tolist(), tile, plane.shape, frame_paper
    )


def _double(image: np.ndarray) -> np.ndarray:
    """Each pixel as 2x2 (nearest-neighbour upscaling; a sixth of cv2.resize's instructions for it)."""
    h, w = image.shape
    wide = (image.astype(np.uint16) * 257).view(np.uint8)  # each byte twice in a row
    out = np.empty((h, 2, 2 * w), np.uint8)
    out[:] = wide[:, None, :]
    return out.reshape(2 * h, 2 * w)


def _rect(size: int) -> np.ndarray:
    import cv2

    return cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))


def _closing(image: np.ndarray) -> np.ndarray:
    """A max filter then a min filter over a square PAPER_WINDOW wide with its corners cut (a square,
    then a small diamond), which follows a rounded shadow a little closer than the square.

    The min filter reaches two pixels further than the max filter: the plane's shadow edges are
    softer than the paper's, whose bright side would otherwise spill over onto the dark side and
    look like ink along the edge (on the training scenes this did most of the work against false
    digits at shadows and page edges).
    """
    import cv2

    square, cross = _rect(PAPER_WINDOW - 2 * DIAMOND), cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    grown = cv2.dilate(cv2.dilate(image, square), cross, iterations=DIAMOND)
    return cv2.erode(cv2.erode(grown, square), cross, iterations=DIAMOND + 2)


def _noise(ink: np.ndarray, plane: np.ndarray, blur: int, tile: int) -> tuple[np.ndarray, np.ndarray]:
    """Per tile of `tile` plane pixels (a multiple of 4): the ink's level on bare paper (the closing
    lifts the paper estimate above the noisy pixels) and the noise's sigma, both float32.

    Medians of samples every 4 plane pixels, so the digits covering part of a tile do not count.
    """
    import cv2

    h, w = plane.shape
    rows, cols, side = max(1, h // tile), max(1, w // tile), tile // 4

    def cells(samples: np.ndarray) -> np.ndarray:
        s = samples[: rows * side, : cols * side]
        if s.shape != (rows * side, cols * side):  # a frame smaller than a tile, or not a whole number of them
            s = np.pad(s, ((0, rows * side - s.shape[0]), (0, cols * side - s.shape[1])), mode="edge")
        return s.reshape(rows, side, cols, side).transpose(0, 2, 1, 3).reshape(rows, cols, -1)

    # Plane pixels `blur` apart share no noise: for Gaussian noise the median of |a - b| is 0.954 sigma.
    diff = cv2.absdiff(plane[::4, : w - blur : 4], plane[::4, blur::4])
    both = np.stack([cells(ink[::2, ::2]), cells(diff)])
    kth = side * side // 2
    medians = np.partition(both, kth, axis=-1)[..., kth].astype(np.float32)
    return medians[0], medians[1] / 0.954
