"""The scene generator the finder is tuned and measured on: its true boxes and its conditions."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from dae_runtime.scenes import CONDITIONS, SceneSpec, condition, iou, matched, render_scene

DIGITS = Path(__file__).parent / "data" / "handwritten_digits.npz"


@pytest.fixture(scope="module")
def handwritten() -> np.ndarray:
    return np.load(DIGITS)["images"]


def test_true_boxes_hold_the_drawn_ink_tightly(handwritten):
    frame, boxes = render_scene(handwritten, SceneSpec(), seed=4)
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    dark = (gray < 0.55 * np.percentile(gray, 90)).astype(np.uint8)  # ink covering about half a pixel or more
    inside = np.zeros(dark.shape, bool)
    for x, y, w, h in boxes:
        inside[y : y + h, x : x + w] = True
        bx, by, bw, bh = cv2.boundingRect(dark[y - 3 : y + h + 3, x - 3 : x + w + 3])
        assert max(abs(bx - 3), abs(by - 3), abs(bw - w), abs(bh - h)) <= 2, ((x, y, w, h), (bx, by, bw, bh))
    assert len(boxes) == 12 and dark[inside].sum() / dark.sum() > 0.99  # only stray dots outside


@pytest.mark.parametrize("name", CONDITIONS)
def test_every_condition_draws_twelve_digits_the_same_way_each_time(handwritten, name):
    frame, boxes = render_scene(handwritten, condition(name, 0.3), seed=1)
    again, same = render_scene(handwritten, condition(name, 0.3), seed=1)
    assert frame.shape == (480, 640, 3) and frame.dtype == np.uint8 and len(boxes) == 12
    assert np.array_equal(frame, again) and boxes == same
    clean, clean_boxes = render_scene(handwritten, condition(name, 0.0), seed=1)
    assert clean_boxes == boxes and not np.array_equal(clean, frame)  # noise changes pixels, not digits


def test_a_tilted_page_turns_the_true_boxes_with_it(handwritten):
    flat = render_scene(handwritten, SceneSpec(), seed=7)[1]
    tilted = render_scene(handwritten, SceneSpec(tilt=True), seed=7)[1]
    assert max(iou(a, b) for a, b in zip(flat, tilted, strict=True)) < 0.9


def test_each_box_matches_once_best_overlap_first():
    truth = [(0, 0, 10, 10), (20, 0, 10, 10)]
    assert matched([(1, 0, 10, 10), (0, 0, 10, 10)], truth) == 1  # two boxes on one digit: one match
    assert matched([(0, 0, 10, 10), (22, 0, 10, 10), (50, 50, 5, 5)], truth) == 2
    assert matched([(0, 0, 10, 21)], truth) == 0  # IoU 100/210 < 0.5
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
