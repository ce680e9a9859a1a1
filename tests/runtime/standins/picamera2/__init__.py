"""A stand-in for picamera2 (there is no Pi camera here) with the API `dae live --camera picam` uses.

It follows picamera2's documented capture path and behaviour: `Picamera2(camera_num)`,
`create_video_configuration(main={"size": ..., "format": ...}, controls=...)` returning a
configuration dict whose main stream defaults to XBGR8888 at 1280x720, `configure`, `start`,
`capture_array("main", wait=None)` (only while started; arrays shaped and ordered as the format says:
XBGR8888 -> [R, G, B, 255], XRGB8888 -> [B, G, R, 255], RGB888 -> [B, G, R], BGR888 -> [R, G, B],
YUV420 -> (h * 3 / 2, w) planar; with no frame coming, `wait=None` waits for ever and `wait=SECONDS`
raises concurrent.futures.TimeoutError after that long, leaving its job queued),
`cancel_all_and_flush` (drops queued jobs), `camera_configuration`, `stop`, `close`, and the static
`global_camera_info()`. Tests steer it through the class attributes below; another process (pi-check)
through $DAE_STANDIN_PICAM_STALL_AFTER.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import TimeoutError as FutureTimeout

import numpy as np

NEVER_S = 30.0  # what "for ever" is here, so that a test that waits for ever fails instead of hanging

__version__ = "0.3.standin"


class Picamera2:
    cameras = 1  # how many sensors libcamera "sees"
    force_format: str | None = None  # a camera that gives this format whatever was asked
    instances: list = []  # every camera made, for the test to inspect
    # After this many frames no more come (a slipped ribbon cable); None: frames never stop.
    stall_after: int | None = int(os.environ.get("DAE_STANDIN_PICAM_STALL_AFTER", "0")) or None
    _in_use: set = set()

    @staticmethod
    def global_camera_info() -> list[dict]:
        return [
            {"Model": "imx708", "Location": 2, "Rotation": 180, "Id": f"/base/i2c@{n}", "Num": n}
            for n in range(Picamera2.cameras)
        ]

    def __init__(self, camera_num: int = 0, verbose_console=None, tuning=None, allocator=None):
        if camera_num >= Picamera2.cameras:
            raise IndexError("list index out of range")  # what picamera2 raises for a missing camera
        if camera_num in Picamera2._in_use:
            raise RuntimeError("Failed to acquire camera: Device or resource busy")
        Picamera2._in_use.add(camera_num)
        self.camera_num = camera_num
        self.calls: list[str] = ["__init__"]
        self.camera_config: dict | None = None
        self.started = False
        self.closed = False
        self.frame = 0
        self.queued_jobs = 0  # captures that timed out and wait in picamera2's job list
        Picamera2.instances.append(self)

    def create_video_configuration(
        self,
        main=None,
        lores=None,
        raw=None,
        transform=None,
        colour_space=None,
        buffer_count=6,
        controls=None,
        display="main",
        encode="main",
        queue=True,
        sensor=None,
        use_case="video",
    ) -> dict:
        self.calls.append("create_video_configuration")
        stream = {"format": "XBGR8888", "size": (1280, 720), **(main or {})}
        return {
            "use_case": use_case,
            "buffer_count": buffer_count,
            "main": stream,
            "lores": lores,
            "raw": raw,
            "controls": {"NoiseReductionMode": 2, "FrameDurationLimits": (33333, 33333), **(controls or {})},
            "display": display,
            "encode": encode,
        }

    def configure(self, camera_config: dict) -> None:
        if self.started:
            raise RuntimeError("Camera must be stopped before configuring")
        self.calls.append("configure")
        config = {**camera_config, "main": dict(camera_config["main"])}
        if Picamera2.force_format:
            config["main"]["format"] = Picamera2.force_format
        w, h = config["main"]["size"]
        config["main"]["size"] = (w - w % 2, h - h % 2)  # libcamera aligns sizes
        self.camera_config = config

    def camera_configuration(self) -> dict:
        return self.camera_config

    def start(self, config=None, show_preview=False) -> None:
        if self.camera_config is None:
            raise RuntimeError("Camera has not been configured")
        self.calls.append("start")
        self.started = True

    def capture_array(self, name: str = "main", wait=None, signal_function=None) -> np.ndarray:
        if not self.started:
            raise RuntimeError("Camera must be started")
        self.calls.append("capture_array")
        if Picamera2.stall_after is not None and self.frame >= Picamera2.stall_after:
            timeout = None if wait is None or wait is True else float(wait)
            threading.Event().wait(NEVER_S if timeout is None else timeout)
            if timeout is None:
                raise AssertionError(f"stand-in: capture_array waited {NEVER_S:g} s (for ever) for a frame")
            self.queued_jobs += 1
            raise FutureTimeout()
        from dae_runtime.synthetic import paper_frame, synthetic_digits

        w, h = self.camera_config[name]["size"]
        bgr = paper_frame(synthetic_digits(6, seed=2), (h, w), scale=max(1, h // 160), shift=(self.frame % 3, 0))
        self.frame += 1
        fmt = self.camera_config[name]["format"]
        b, g, r = bgr[:, :, 0], bgr[:, :, 1], bgr[:, :, 2]
        x = np.full_like(b, 255)
        if fmt == "XBGR8888":
            return np.dstack([r, g, b, x])
        if fmt == "XRGB8888":
            return np.dstack([b, g, r, x])
        if fmt == "RGB888":
            return bgr.copy()
        if fmt == "BGR888":
            return np.ascontiguousarray(bgr[:, :, ::-1])
        if fmt == "YUV420":
            import cv2

            return cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)
        raise ValueError(f"stand-in does not make {fmt}")

    def cancel_all_and_flush(self) -> None:
        self.calls.append("cancel_all_and_flush")
        self.queued_jobs = 0

    def stop(self) -> None:
        self.calls.append("stop")
        self.started = False

    def close(self) -> None:
        if self.started:
            self.stop()
        self.calls.append("close")
        self.closed = True
        Picamera2._in_use.discard(self.camera_num)
