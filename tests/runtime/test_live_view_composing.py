"""The live view composed where it is used (issue 24, item 2): the browser's views by the encoder, only for the
frames a viewer gets; a recorded or shown frame's once, by the processing loop, for every output."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from live_helpers import wait_until

from dae_runtime.live.frame_hub import FrameHub


def test_the_encoder_composes_only_the_views_it_encodes():
    """A view handed over as what makes it is made on the encoder's thread, for the frames a viewer gets only."""
    made: list[int] = []

    def maker(i: int):
        return lambda: made.append(i) or np.full((16, 16, 3), i, np.uint8)

    hub = FrameHub(max_fps=30)
    try:
        for i in range(10):
            hub.publish(maker(i), time.perf_counter(), pts=i / 60)
        time.sleep(0.1)
        assert made == []  # nobody watches: nothing composed
        jpeg, seq = hub.newer_than(0)
        assert made == [9] and jpeg is not None
        reader = threading.Thread(target=lambda: [hub.newer_than(k) for k in range(1, 6)])
        reader.start()
        for i in range(10, 20):  # a 60 FPS camera, the view at 30: every other one is made
            seen = hub.encoded + hub.skipped
            hub.publish(maker(i), time.perf_counter(), pts=i / 60)
            wait_until(lambda seen=seen: hub.encoded + hub.skipped > seen)
        reader.join(10)
        assert made == [9, 11, 13, 15, 17, 19] and hub.encoded == len(made)
    finally:
        hub.close()


class _Served:
    """A stand-in for the live server: keeps what the session publishes."""

    def __init__(self):
        self.published = []

    def pending_keys(self):
        return []

    def publish(self, view, captured_at, pts):
        self.published.append(view)


class _Recorded:
    def __init__(self):
        self.views = []

    def put(self, view):
        self.views.append(view)


@pytest.mark.parametrize("recorded", [False, True])
def test_a_frame_only_served_is_left_to_the_encoder_to_compose_and_a_recorded_one_is_composed_once(recorded):
    from dae_runtime.denoiser import Denoiser
    from dae_runtime.live import session
    from dae_runtime.live.capture import Frame
    from dae_runtime.live.pipeline import LivePipeline
    from dae_runtime.synthetic import paper_frame, synthetic_digits

    pipeline, composed = LivePipeline(Denoiser()), []
    process = pipeline.process

    def counted(image):
        result = process(image)
        make = result.make_view
        result.make_view = lambda: composed.append(1) or make()
        return result

    pipeline.process = counted
    served, recorder = _Served(), _Recorded() if recorded else None
    image = paper_frame(synthetic_digits(4, seed=1), (240, 320))
    for i in range(3):
        assert session._one_frame(pipeline, Frame(image, i, i / 30, time.perf_counter()), session._Progress(),
                                  False, recorder, served)  # fmt: skip
    assert len(composed) == (3 if recorded else 0)  # served only: nothing composed on the processing thread
    views = [view() for view in served.published]  # the encoder's calls
    assert len(composed) == 3 and all(v.shape == (240, 320 + 184, 3) for v in views)
    if recorded:
        assert all(a is b for a, b in zip(views, recorder.views, strict=True))  # one view for both


def test_a_view_that_cannot_be_composed_stops_the_encoder_and_is_raised_in_the_session():
    """Not a silent encoder thread gone and viewers waiting for ever: the error reaches the session's thread (which
    ends the session, so a service manager restarts it) and the waiting viewer is let go."""
    hub = FrameHub(max_fps=30)
    try:
        got = []
        viewer = threading.Thread(target=lambda: got.append(hub.newer_than(0)))
        viewer.start()
        hub.publish(lambda: 1 / 0, time.perf_counter(), pts=0.0)
        viewer.join(10)
        assert got == [(None, 0)] and hub.closed
        with pytest.raises(ZeroDivisionError):
            hub.publish(np.zeros((16, 16, 3), np.uint8), time.perf_counter(), pts=1.0)
    finally:
        hub.close()
