"""The composed live view shows every digit of a page (issue 24, item 4): the tiles shrink to MNIST's
own size and wrap into more columns instead of the first seven being shown, and nothing is drawn twice."""

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from dae_runtime.denoiser import Denoiser
from dae_runtime.live.pipeline import LiveConfig, LivePipeline
from dae_runtime.live.view import PANEL, TOP, draw_boxes, tile_layout, to_u8
from dae_runtime.scenes import SceneSpec, render_scene

DIGITS = Path(__file__).parent / "data" / "handwritten_digits.npz"
PAGE_16 = SceneSpec(digits=16, grid=(4, 4), noise=0.02)


@pytest.fixture(scope="module")
def page_16():
    frame, truth = render_scene(np.load(DIGITS)["images"], PAGE_16, seed=0)  # the finder finds all 16
    assert len(truth) == 16
    return frame


@pytest.mark.parametrize(
    "n, height, width, scale, rows, columns, used",
    [
        (7, 480, PANEL, 2, 7, 1, PANEL),  # as before: one column at 2x
        (8, 480, PANEL, 1, 15, 1, 94),  # more: MNIST's size, in the panel as wide as before
        (16, 480, PANEL, 1, 15, 2, PANEL),
        (30, 480, PANEL, 1, 15, 2, PANEL),
        (31, 480, PANEL, 1, 15, 3, 274),  # more than fit: another column, the panel wider
        (64, 480, PANEL, 1, 15, 5, 454),
        (8, 480, 454, 2, 7, 2, 364),  # a panel widened earlier shows fewer digits at 2x again
        (0, 480, PANEL, 2, 7, 1, PANEL),
        (3, 240, PANEL, 2, 3, 1, PANEL),
        (5, 40, PANEL, 1, 0, 0, 4),  # no row fits: no tiles
    ],
)
def test_tiles_shrink_then_wrap_into_more_columns(n, height, width, scale, rows, columns, used):
    layout = tile_layout(n, height, width)
    assert (layout.scale, layout.rows, layout.columns, layout.width) == (scale, rows, columns, used)
    assert layout.rows * layout.columns >= n or layout.rows == 0


def _found(panel: np.ndarray, tile: np.ndarray) -> list[tuple[int, int]]:
    """Every place (x, y) where `tile` is drawn exactly in the gray panel."""
    scores = cv2.matchTemplate(panel, tile, cv2.TM_SQDIFF)  # in floats: candidates, then checked exactly
    h, w = tile.shape
    ys, xs = np.nonzero(scores < 1000)
    places = zip(xs.tolist(), ys.tolist(), strict=True)
    return [(x, y) for x, y in places if np.array_equal(panel[y : y + h, x : x + w], tile)]


def test_a_16_digit_page_shows_every_digit_once(page_16):
    pipeline = LivePipeline(Denoiser(), LiveConfig(add_noise=0.3))
    pipeline.source_name = "page.mp4"
    result = pipeline.process(page_16)
    assert len(result.boxes) == 16 and len(result.clean) == len(result.noisy) == len(result.denoised) == 16
    height, width = page_16.shape[:2]
    panel = cv2.cvtColor(result.view[:, width:], cv2.COLOR_BGR2GRAY)
    layout = tile_layout(16, height, panel.shape[1])
    assert layout.scale == 1 and layout.columns == 2 and result.view.shape == (480, 640 + PANEL, 3)
    for i in range(16):
        x, y = layout.origin(i)
        for j, images in enumerate((result.clean, result.noisy, result.denoised)):
            tile = to_u8(images[i])
            tile = cv2.resize(tile, None, fx=layout.scale, fy=layout.scale, interpolation=cv2.INTER_NEAREST)
            assert _found(panel, tile) == [(x + j * layout.cell, y)], (i, j)  # where it belongs, and only there
    below = TOP + layout.rows * layout.cell
    assert not panel[below:].any()  # no tile beyond the layout's


def test_the_frame_side_draws_each_box_and_each_figure_once(page_16):
    pipeline = LivePipeline(Denoiser(), LiveConfig(add_noise=0.3))
    pipeline.source_name = "page.mp4"
    result = pipeline.process(page_16)
    status = pipeline.status()
    assert status.count("FPS") == status.count("noise") == status.count("0.30") == status.count("digits") == 1
    expected = page_16.copy()
    draw_boxes(expected, result.boxes)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(expected, status, (8, 470), font, 0.45, (0, 200, 0), 1, cv2.LINE_AA)
    cv2.putText(expected, "page.mp4", (8, 14), font, 0.4, (0, 200, 0), 1, cv2.LINE_AA)
    # Antialiased text drawn twice on itself darkens its edges: the frame side must be one drawing of each.
    assert np.array_equal(result.view[:, :640], expected)


def test_a_page_of_more_digits_than_fit_widens_the_panel_for_good(page_16):
    pipeline = LivePipeline(Denoiser(), LiveConfig(add_noise=0.3))
    crowded = replace(PAGE_16, digits=36, grid=(6, 6))
    frame = render_scene(np.load(DIGITS)["images"], crowded, seed=1)[0]
    wide = pipeline.process(frame)
    assert len(wide.boxes) > 30 and wide.view.shape[1] == 640 + 274
    again = pipeline.process(page_16)  # fewer digits later: the view keeps its size (a video needs one)
    assert again.view.shape == wide.view.shape


def test_each_box_is_framed_by_a_closed_green_ring_two_pixels_wide():
    view, boxes = np.zeros((60, 80, 3), np.uint8), [(10, 10, 20, 30), (45, 5, 12, 12)]
    draw_boxes(view, boxes)
    green = np.all(view == (0, 200, 0), axis=-1)
    assert green.sum() == np.any(view, axis=-1).sum()  # green only
    rings = np.zeros_like(green)
    for x, y, w, h in boxes:
        rings[y - 1 : y + h + 2, x - 1 : x + w + 2] = True  # the box's edge and one pixel outside it
        rings[y + 1 : y + h, x + 1 : x + w] = False  # its inside stays as it was
    assert np.array_equal(green, rings)
