"""The finder's shape rules on the blobs' boxes (dae_runtime.digit_finder.find_boxes): each one rejects what
it names, and only that (a ring of pen-stroke ink is a digit's shape that every other rule accepts)."""

from __future__ import annotations

import numpy as np
import pytest

from dae_runtime.digit_finder import StrokeRules, find_boxes
from dae_runtime.ink_page import read_page


def _ring(centre: tuple[int, int], axes: tuple[int, int]) -> np.ndarray:
    """A 640x480 page with one ellipse of 5-pixel ink, a zero's shape."""
    import cv2

    page = np.full((480, 640), 220, np.uint8)
    cv2.ellipse(page, centre, axes, 0, 0, 360, 30, 5)
    return page


def test_a_ring_in_the_page_is_found():
    assert len(find_boxes(read_page(_ring((320, 240), (15, 25))))) == 1


@pytest.mark.parametrize("centre", [(12, 240), (320, 20), (628, 240), (320, 460)])
def test_a_blob_touching_the_frames_edge_is_not_a_digit(centre):
    assert find_boxes(read_page(_ring(centre, (15, 25)))) == []


def test_a_box_over_a_quarter_of_the_frame_is_not_a_digit():
    page = read_page(_ring((320, 240), (150, 200)))  # 300x400 of 640x480: 39 % of its area
    assert find_boxes(page) == []
    assert len(find_boxes(page, StrokeRules(max_area=0.5, max_height=0.95))) == 1


def test_a_ring_wider_than_tall_is_a_line_or_several_digits():
    assert find_boxes(read_page(_ring((320, 240), (60, 20)))) == []
    assert len(find_boxes(read_page(_ring((320, 240), (60, 20))), StrokeRules(max_width_to_height=4))) == 1
