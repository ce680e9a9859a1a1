"""The physics of a desk-webcam photo of a page, for dae_runtime.scenes: paper, ink, light, camera.

A page is a reflectance image (BGR in [0, 1]: paper about 0.85, black ink about 0.1) times an
illumination field (1 in full light, lower in a shadow or a dim room), plus glare (light the
page reflects whatever is printed on it, so it lifts ink and paper alike), then what the camera
adds: motion blur, sensor noise, JPEG. Everything draws its randomness from the rng it is given.
"""

from __future__ import annotations

import numpy as np

# BGR reflectances. Blue ballpoint reflects blue and little else (gray about 0.3); graphite is a
# lighter grey than pen ink and grainy (see pencil_grain).
INKS = {
    "black": (0.10, 0.10, 0.11),
    "blue": (0.62, 0.28, 0.18),
    "pencil": (0.48, 0.47, 0.46),
}
PAPER = (0.82, 0.87, 0.88)  # a slightly warm white
RULE = (0.80, 0.66, 0.52)  # the light blue lines of ruled and grid paper


def paper_reflectance(kind: str, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """float32 (h, w, 3): plain, ruled (horizontal lines every 28-36 px) or grid (squares of 20-26 px) paper."""
    h, w = size
    page = np.empty((h, w, 3), np.float32)
    page[:] = PAPER
    page *= rng.uniform(0.95, 1.03)
    if kind == "plain":
        return page
    if kind not in ("ruled", "grid"):
        raise ValueError(f"unknown paper {kind!r} (plain, ruled or grid)")
    pitch = int(rng.integers(28, 37)) if kind == "ruled" else int(rng.integers(20, 27))
    width = int(rng.integers(1, 3)) if kind == "ruled" else 1
    for y in range(int(rng.integers(0, pitch)), h, pitch):
        page[y : y + width] = RULE
    if kind == "grid":
        for x in range(int(rng.integers(0, pitch)), w, pitch):
            page[:, x : x + width] = RULE
    return page


def pencil_grain(coverage: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Graphite leaves paper showing through the stroke: coverage thinned by a fine random grain."""
    import cv2

    grain = cv2.GaussianBlur(rng.uniform(0.55, 1.0, coverage.shape).astype(np.float32), (0, 0), 0.7)
    return coverage * grain


def _shadow_mask(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """float32 (h, w) in [0, 1]: 1 inside a hand's or head's shadow, an ellipse reaching in from an edge."""
    import cv2

    h, w = size
    mask = np.zeros((h, w), np.float32)
    side = int(rng.integers(0, 4))
    along = float(rng.uniform(0.2, 0.8))
    centre = [(along * w, -0.1 * h), (1.1 * w, along * h), (along * w, 1.1 * h), (-0.1 * w, along * h)][side]
    axes = (int(rng.uniform(0.35, 0.55) * w), int(rng.uniform(0.45, 0.75) * h))
    angle = float(rng.uniform(-30, 30))
    cv2.ellipse(mask, (int(centre[0]), int(centre[1])), axes, angle, 0, 360, 1.0, -1, cv2.LINE_AA)
    return mask


def illumination(light: str, size: tuple[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """The light falling on the page (float32 (h, w), 1 = full) and an additive glare map (or None).

    even: a gentle gradient across the sheet; hard_shadow and soft_shadow: the same with a shadow
    at 30-50 % (hard: an edge of a pixel or two; soft: a penumbra of 25-50 px); dim: the page at
    about a third of its brightness; glare: a specular spot adding up to 0.35-0.5 of full scale.
    """
    import cv2

    h, w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    gx, gy = rng.uniform(-0.1, 0.1, 2)
    light_map = (0.95 + gx * (xx / w - 0.5) + gy * (yy / h - 0.5)).astype(np.float32)
    glare = None
    if light in ("hard_shadow", "soft_shadow"):
        mask = _shadow_mask(size, rng)
        blur = rng.uniform(0.8, 1.5) if light == "hard_shadow" else rng.uniform(25, 50)
        mask = cv2.GaussianBlur(mask, (0, 0), blur)
        light_map *= 1.0 - float(rng.uniform(0.5, 0.7)) * mask
    elif light == "dim":
        light_map *= float(rng.uniform(0.30, 0.37))
    elif light == "glare":
        cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
        sigma = rng.uniform(0.08, 0.15) * w
        glare = (rng.uniform(0.35, 0.5) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma**2))).astype(
            np.float32
        )
    elif light != "even":
        raise ValueError(f"unknown light {light!r} (even, hard_shadow, soft_shadow, dim or glare)")
    return light_map, glare


def tilt_matrix(degrees: float, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A 3x3 perspective: the page turned by `degrees`, shrunk to show the desk, its far edge a little shorter."""
    import cv2

    h, w = size
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    squeeze = float(rng.uniform(0.03, 0.08)) * w
    far = corners + np.array([[squeeze, 0], [-squeeze, 0], [0, 0], [0, 0]], np.float32)
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 0.85)
    moved = far @ turn[:, :2].T + turn[:, 2]
    return cv2.getPerspectiveTransform(corners, moved.astype(np.float32))


def motion_blur(image: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """A straight smear of `length` pixels in a random direction (a hand moving the page or the camera)."""
    import cv2

    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    turn = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), float(rng.uniform(0, 180)), 1.0)
    turned = cv2.warpAffine(kernel, turn, (length, length))
    return cv2.filter2D(image, -1, turned / turned.sum())


def camera(image: np.ndarray, noise: float, jpeg_quality: int, rng: np.random.Generator) -> np.ndarray:
    """float BGR in [0, 1] -> the uint8 frame a webcam delivers: Gaussian noise of sigma `noise`
    (0..1 scale, the same draw in the three channels, so the gray frame's noise is `noise`),
    clipped, then JPEG-compressed at `jpeg_quality` (0: not compressed)."""
    import cv2

    if noise > 0:
        image = image + rng.normal(0.0, noise, image.shape[:2]).astype(np.float32)[..., None]
    frame = (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)
    if jpeg_quality:
        ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        frame = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return frame
