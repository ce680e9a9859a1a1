"""The live loop's finder (dae_runtime.live.kept_light): each frame read in the light of an earlier frame while
the picture is still, read afresh when it changed; the digits it gives against extract_digits on every frame."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from dae_runtime.digits import extract_digits
from dae_runtime.ink_page import light_of, plane_of, read_in_light, read_page
from dae_runtime.live.kept_light import KEEP, KeptLightFinder, LightRules
from dae_runtime.scenes import SceneSpec, matched, render_scene

DIGITS = Path(__file__).parent / "data" / "handwritten_digits.npz"


@pytest.fixture(scope="module")
def handwritten() -> np.ndarray:
    return np.load(DIGITS)["images"]


def _gray(frame: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def _camera(page: np.ndarray, shift: tuple[int, int], rng, noise: float = 0.02) -> np.ndarray:
    """`page` moved by `shift` pixels, with fresh camera noise (sigma on the 0..1 scale)."""
    moved = np.roll(page, shift, axis=(0, 1)).astype(np.float32)
    moved += rng.normal(0, 255 * noise, moved.shape[:2]).astype(np.float32)[..., None]
    return np.clip(moved, 0, 255).astype(np.uint8)


def _nearest(box, boxes) -> int:
    """The index of the box in `boxes` whose centre is nearest `box`'s."""
    centre = np.array([box[0] + box[2] / 2, box[1] + box[3] / 2])
    return int(np.argmin([np.hypot(*(centre - (b[0] + b[2] / 2, b[1] + b[3] / 2))) for b in boxes]))


def test_a_page_read_in_its_own_light_is_read_page(handwritten):
    frame = _gray(render_scene(handwritten, SceneSpec(light="hard_shadow", noise=0.1), seed=3)[0])
    plane = plane_of(frame)
    kept, fresh = read_in_light(plane, light_of(plane)), read_page(frame)
    for field in ("plane", "paper", "ink", "mask", "pooled"):
        assert np.array_equal(getattr(kept, field), getattr(fresh, field)), field
    assert (kept.level, kept.sigma, kept.tile, kept.step, kept.blur) == (
        fresh.level,
        fresh.sigma,
        fresh.tile,
        fresh.step,
        fresh.blur,
    )
    with pytest.raises(ValueError, match="cannot be read in the light"):
        read_in_light(plane_of(frame[:240]), light_of(plane))


def test_a_still_page_is_read_once_in_five_frames_and_gives_the_digits_of_a_fresh_read(handwritten):
    rng = np.random.default_rng(0)
    page, truth = render_scene(handwritten, replace(SceneSpec(light="soft_shadow"), digits=10), seed=4)
    finder = KeptLightFinder(64)
    for k in range(10):  # a pixel of jitter a frame, fresh camera noise
        frame = _camera(page, (k % 3 - 1, (k // 2) % 3 - 1), rng)
        kept, fresh = finder.find(frame), extract_digits(frame, 64)
        assert len(kept[1]) == len(fresh[1]) == 10 and matched([c.box for c in kept[1]], truth) == 10
        # The boxes are this frame's (a box's edge may move by a plane pixel), the crops within a few gray levels
        # of a fresh read's: the frame-to-frame change of a fresh read's own crops is several times larger.
        pairs = [(i, _nearest(c.box, [f.box for f in fresh[1]])) for i, c in enumerate(kept[1])]
        assert sorted(j for _, j in pairs) == list(range(10))
        assert max(np.abs(np.subtract(kept[1][i].box, fresh[1][j].box)).max() for i, j in pairs) <= 2
        assert np.mean([np.abs(kept[0][i] - fresh[0][j]).mean() for i, j in pairs]) < 0.01
    assert finder.reads == 2  # frames 0 and 5: the light serves KEEP.max_age frames after its own


@pytest.mark.parametrize("change", ["a new page", "a new page in dim light", "a hand's shadow", "another camera size"])
def test_a_changed_picture_is_read_afresh_at_once(handwritten, change):
    import cv2

    rng = np.random.default_rng(1)
    # Two dim pages whose thumbnails are 4.3 gray levels apart (6.6 % of theirs, under 2 % of a bright page's).
    light, (first, second) = (SceneSpec(light="dim"), (8, 25)) if "dim" in change else (SceneSpec(), (5, 6))
    page = render_scene(handwritten, replace(light, digits=10), seed=first)[0]
    finder = KeptLightFinder(64)
    finder.find(_camera(page, (0, 0), rng))
    finder.find(_camera(page, (1, 0), rng))
    assert finder.reads == 1
    if change.startswith("a new page"):  # in the same light: a dim page moves the thumbnail by few gray levels
        after = render_scene(handwritten, replace(light, digits=10), seed=second)[0]
    elif change == "a hand's shadow":
        shade = np.zeros(page.shape[:2], np.float32)
        cv2.ellipse(shade, (640, 240), (160, 140), 0, 0, 360, 1.0, -1)
        after = (page * (1 - 0.55 * cv2.GaussianBlur(shade, (0, 0), 6))[..., None]).astype(np.uint8)
    else:
        after = cv2.resize(page, (320, 240), interpolation=cv2.INTER_AREA)
    crops, where = finder.find(_camera(after, (0, 0), rng))
    assert finder.reads == 2
    fresh = extract_digits(_camera(after, (0, 0), np.random.default_rng(1)), 64)
    assert len(where) == len(fresh[1])


def test_a_digit_written_on_a_still_page_is_found_within_the_kept_frames(handwritten):
    """A small change (one more digit) does not move the thumbnail past max_move, so the light is kept (and
    read again max_age frames later); the new digit is found at once all the same: the boxes are each frame's."""
    rng = np.random.default_rng(2)
    after, truth = render_scene(handwritten, replace(SceneSpec(), digits=10), seed=7)
    before = after.copy()
    x, y, w, h = truth[0]
    before[y - 2 : y + h + 2, x - 2 : x + w + 2] = np.median(after[y - 4, x : x + w], axis=0)  # not yet written
    finder = KeptLightFinder(64)
    written = len(extract_digits(_camera(after, (0, 0), rng), 64)[1])
    assert len(finder.find(_camera(before, (0, 0), rng))[1]) == written - 1
    found = [len(finder.find(_camera(after, (0, 0), rng))[1]) for _ in range(KEEP.max_age + 1)]
    assert finder.reads == 2 and found == [written] * len(found)


def test_no_light_is_kept_when_the_rules_keep_none(handwritten):
    rng = np.random.default_rng(3)
    page = render_scene(handwritten, replace(SceneSpec(), digits=10), seed=8)[0]
    finder = KeptLightFinder(64, LightRules(max_move=-1.0))
    for _ in range(4):
        finder.find(_camera(page, (0, 0), rng))
    assert finder.reads == 4


def test_the_live_pipeline_reads_the_light_afresh_after_full_frame_mode(handwritten):
    from dae_runtime.denoiser import Denoiser
    from dae_runtime.live.pipeline import LivePipeline

    rng = np.random.default_rng(4)
    page = render_scene(handwritten, replace(SceneSpec(), digits=10), seed=9)[0]
    pipeline = LivePipeline(Denoiser())
    pipeline.process(_camera(page, (0, 0), rng))
    pipeline.process(_camera(page, (0, 0), rng))
    assert pipeline.finder.reads == 1
    pipeline.handle_key(ord("f")), pipeline.handle_key(ord("f"))  # full frame and back: frames unseen between
    pipeline.process(_camera(page, (0, 0), rng))
    assert pipeline.finder.reads == 2
