"""The live loop's benchmark clip (live_loop.py on emulated Pis, benchmarks/live_threads.py on x86): 640x480
desk-webcam pages of 10 handwritten digits (dae_runtime.scenes, the builtin validation digits), each page held
HOLD frames with a pixel of jitter and fresh camera noise, at 30 FPS, as mp4 (what `dae live --source` reads).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

PAGES, HOLD, FPS = 8, 5, 30.0
CONDITIONS = ("plain", "ruled", "hard shadow", "pencil", "dim", "glare", "soft shadow", "grid")


def render_clip(path: Path, camera_noise: float, pages: int = PAGES) -> None:
    """`pages` pages of 10 validation digits, each held HOLD frames, jittered and with fresh camera noise."""
    import cv2
    import numpy as np

    from dae_runtime.scenes import condition, render_scene
    from dae_train.data import load_mnist

    digits, rng = load_mnist("builtin").validation.images, np.random.default_rng(5)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (640, 480))
    for page in range(pages):
        spec = replace(condition(CONDITIONS[page % len(CONDITIONS)]), digits=10)
        clean = render_scene(digits, spec, seed=910_000 + page)[0].astype(np.float32)
        for k in range(HOLD):
            frame = np.roll(clean, (k % 3 - 1, (k // 3) % 3 - 1), axis=(0, 1))
            frame = frame + rng.normal(0, 255 * camera_noise, frame.shape[:2]).astype(np.float32)[..., None]
            writer.write(np.clip(frame, 0, 255).astype(np.uint8))
    writer.release()
