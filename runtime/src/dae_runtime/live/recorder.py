"""`--out` in its own thread, `dae-live-recorder`: the views JPEG-encoded and written while the next frame
is processed.

Every view handed over is recorded, in order (a short queue that waits when full: the recording
keeps every frame the session showed, and a camera's frames are dropped at the capture stage
instead). A failed write (a full disk) stops the recording: the error is raised in the session's
thread at the next `put` or at the end, where dae_runtime.live.outputs.VideoOut keeps the frames
written so far. Leaving the block writes what is still queued.
"""

from __future__ import annotations

import threading

import numpy as np

from dae_runtime.live.frame_queue import FrameQueue
from dae_runtime.live.outputs import VideoOut


class Recorder:
    def __init__(self, video: VideoOut):
        self.video = video
        self.views: FrameQueue[np.ndarray] = FrameQueue(2, drop_oldest=False)
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="dae-live-recorder", daemon=True)

    def __enter__(self) -> Recorder:
        self._thread.start()
        return self

    def put(self, view: np.ndarray) -> None:
        """Queue a view (waiting while two are queued); raises the recording's error if it failed."""
        if self.error is None:
            self.views.put(view)
        if self.error is not None:
            raise self.error

    def __exit__(self, exc_type, *rest) -> None:
        self.views.close()  # the thread writes what is queued, then ends
        while self._thread.is_alive():
            try:
                self._thread.join()
            except KeyboardInterrupt:  # the fragments must be whole before VideoOut closes the file
                continue
        if self.error is not None and exc_type is None:
            raise self.error

    def _run(self) -> None:
        try:
            while (view := self.views.get()) is not None:
                self.video.write(view)
        except BaseException as exc:  # noqa: BLE001 - raised again in the session's thread
            self.error = exc
            self.views.close()
            self.views.clear()
