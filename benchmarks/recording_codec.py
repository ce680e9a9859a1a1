"""Size and quality of `dae live --out` recordings: Motion-JPEG (the fragmented MP4 that survives a kill,
dae_runtime.fmp4) against the OpenCV mp4v writer it replaced, on the same composed live views.

Views of paper digits through the live pipeline (digits mode), with and without camera-like sensor
noise; both files are read back through FFmpeg (OpenCV's VideoCapture) and compared with the views.
No timing: sizes and PSNR do not depend on the machine's load.

    .venv/bin/python benchmarks/recording_codec.py [--frames 60]

Writes benchmarks/results/recording_codec.json.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

from dae_runtime.atomic import write_json
from dae_runtime.denoiser import Denoiser
from dae_runtime.fmp4 import JPEG_QUALITY, JpegTrack
from dae_runtime.live.pipeline import LiveConfig, LivePipeline
from dae_runtime.synthetic import paper_frame, synthetic_digits

RESULTS = Path(__file__).resolve().parent / "results" / "recording_codec.json"


def views(n: int, sensor_noise: float) -> list[np.ndarray]:
    pipeline, digits, rng = (
        LivePipeline(Denoiser(), LiveConfig()),
        synthetic_digits(8, seed=3),
        np.random.default_rng(0),
    )
    out = []
    for i in range(n):
        frame = paper_frame(digits, (480, 640), shift=(i % 3, 2 * (i % 4))).astype(np.float32)
        out.append(
            pipeline.process(np.clip(frame + rng.normal(0, sensor_noise, frame.shape), 0, 255).astype(np.uint8)).view
        )
    return out


def read_back(path: Path) -> list[np.ndarray]:
    capture, frames = cv2.VideoCapture(str(path)), []
    while (got := capture.read())[0]:
        frames.append(got[1])
    capture.release()
    return frames


def measure(frames: list[np.ndarray], folder: Path) -> dict:
    h, w = frames[0].shape[:2]
    mp4v = cv2.VideoWriter(str(folder / "mp4v.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 30, (w, h))
    for frame in frames:
        mp4v.write(frame)
    mp4v.release()
    fd = os.open(folder / "mjpeg.mp4", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    track = JpegTrack(fd, 30)
    for frame in frames:
        track.write(frame)
    track.flush()
    os.close(fd)
    row = {"view": f"{w}x{h}"}
    for name in ("mp4v", "mjpeg"):
        path = folder / f"{name}.mp4"
        back = read_back(path)
        assert len(back) == len(frames), (name, len(back))
        row[f"{name}_kib_per_frame"] = round(path.stat().st_size / len(frames) / 1024, 1)
        row[f"{name}_psnr_db"] = round(float(np.mean([cv2.PSNR(a, b) for a, b in zip(frames, back, strict=True)])), 2)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for noise in (0.0, 8.0):
            rows[f"sensor noise {noise:g}"] = measure(views(args.frames, noise), Path(tmp))
    for name, row in rows.items():
        print(name, row)
    write_json(RESULTS, {"jpeg_quality": JPEG_QUALITY, "frames": args.frames, "results": rows})


if __name__ == "__main__":
    main()
