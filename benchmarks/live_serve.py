"""Does serving the live view cost the pipeline? Pipeline FPS with 3 browser viewers vs none.

The real `dae live` session loop (dae_runtime.live.session.run_session) on 640x480 frames of
paper digits from memory (no camera, no decoding), int8, for `--seconds` per run, in three
settings run interleaved and repeated: no --serve, --serve with nobody watching, --serve with
three viewers. The viewers are a separate process (as browsers are) reading /stream.mjpg and
counting the frames they receive. Pipeline FPS is frames / seconds of frame processing, as
`dae live` prints it; loop FPS is frames / wall seconds; loop FPS per CPU second divides by the
camera thread's own CPU time (onnxruntime runs on that thread, one thread), which other
programs on a shared machine do not inflate; process CPU ms per frame adds the encoder's and
the server's threads: what serving costs in all.

    .venv/bin/python benchmarks/live_serve.py [--seconds 6] [--rounds 3]

Writes benchmarks/results/live_serve.json.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from dae_runtime.denoiser import Denoiser, SessionConfig
from dae_runtime.live.pipeline import LiveConfig, LivePipeline
from dae_runtime.live.session import SessionOptions, run_session
from dae_runtime.sources.base import FrameSource
from dae_runtime.synthetic import paper_frame, synthetic_digits

VIEWER = r"""
import sys, threading, time, urllib.request
url, n, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
counts = [0] * n
def view(i):
    for _ in range(200):  # wait for the server
        try:
            r = urllib.request.urlopen(url, timeout=10)
            break
        except OSError:
            time.sleep(0.05)
    start = None
    while True:
        line = r.readline()
        if not line:
            break
        if line.lower().startswith(b"content-length:"):
            r.readline(); r.read(int(line.split(b":")[1]))
            now = time.monotonic()
            start = start or now
            counts[i] += 1
            if now - start >= seconds:
                break
threads = [threading.Thread(target=view, args=(i,)) for i in range(n)]
[t.start() for t in threads]; [t.join() for t in threads]
print(" ".join(str(c / seconds) for c in counts))
"""


class TimedFrames(FrameSource):
    """Frames from memory for a fixed time, as fast as the pipeline takes them."""

    name = "benchmark frames"
    fps = 30.0

    def __init__(self, seconds: float):
        digits = synthetic_digits(8, seed=5)
        self.frames = [paper_frame(digits, shift=(i % 4, (3 * i) % 7)) for i in range(16)]
        self.seconds, self.i, self.started = seconds, 0, None

    def open(self):
        pass

    def read(self):
        self.started = self.started or time.monotonic()
        if time.monotonic() - self.started > self.seconds:
            return None
        self.i += 1
        return self.frames[self.i % len(self.frames)]

    def release(self):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(setting: str, seconds: float, denoiser: Denoiser) -> dict:
    pipeline = LivePipeline(denoiser, LiveConfig(add_noise=0.3))
    serve = None if setting == "no --serve" else ("127.0.0.1", free_port())
    viewers = None
    if setting == "--serve, 3 viewers":
        url = f"http://127.0.0.1:{serve[1]}/stream.mjpg"
        # The viewers count for a second less than the session runs, after their first frame.
        viewers = subprocess.Popen(
            [sys.executable, "-c", VIEWER, url, "3", str(seconds - 1.5)], stdout=subprocess.PIPE, text=True
        )
    options = SessionOptions(window=False, serve=serve)
    cpu, process_cpu = time.thread_time(), time.process_time()
    summary = run_session(pipeline, TimedFrames(seconds), options, echo=lambda _: None)
    cpu, process_cpu = time.thread_time() - cpu, time.process_time() - process_cpu
    row = {
        "setting": setting,
        "frames": summary.frames,
        "pipeline_fps": round(summary.pipeline_fps, 1),
        "loop_fps": round(summary.frames / summary.wall_seconds, 1),
        "cpu_fps": round(summary.frames / cpu, 1),  # frames per CPU second of the camera loop's thread
        "process_cpu_ms_per_frame": round(1e3 * process_cpu / summary.frames, 3),  # encoder and server included
    }
    if viewers is not None:
        out, _ = viewers.communicate(timeout=60)
        row["viewer_fps"] = [round(float(x), 1) for x in out.split()]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=6.0, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    # One onnxruntime thread: all pipeline work then runs on the camera loop's thread, which the CPU clock sees.
    denoiser = Denoiser(precision="int8", session=SessionConfig(threads=1))
    settings = ["no --serve", "--serve, nobody watching", "--serve, 3 viewers"]
    run("no --serve", 2.0, denoiser)  # warm-up
    runs = [run(s, args.seconds, denoiser) for _ in range(args.rounds) for s in settings]  # interleaved
    summary = []
    for s in settings:
        mine = [r for r in runs if r["setting"] == s]
        row = {
            "setting": s,
            "pipeline_fps": round(statistics.median(r["pipeline_fps"] for r in mine), 1),
            "loop_fps": round(statistics.median(r["loop_fps"] for r in mine), 1),
            "cpu_fps": round(statistics.median(r["cpu_fps"] for r in mine), 1),
            "process_cpu_ms_per_frame": round(statistics.median(r["process_cpu_ms_per_frame"] for r in mine), 3),
        }
        if "viewer_fps" in mine[0]:
            row["min_viewer_fps"] = min(min(r["viewer_fps"]) for r in mine)
        summary.append(row)
    base = summary[0]["pipeline_fps"]
    for row in summary:
        row["pipeline_vs_no_serve"] = round(row["pipeline_fps"] / base, 3)
        row["cpu_vs_no_serve"] = round(row["cpu_fps"] / summary[0]["cpu_fps"], 3)
    print("640x480 paper digits from memory, int8; medians of", args.rounds, "interleaved runs of", args.seconds, "s")
    print("| setting | pipeline FPS | loop FPS | FPS per CPU s | vs none | process CPU ms/frame | slowest viewer FPS |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in summary:
        viewer = f"{r['min_viewer_fps']:.1f}" if "min_viewer_fps" in r else "-"
        print(
            f"| {r['setting']} | {r['pipeline_fps']:.0f} | {r['loop_fps']:.0f} | {r['cpu_fps']:.0f} "
            f"| {r['cpu_vs_no_serve']:.2f} | {r['process_cpu_ms_per_frame']:.2f} | {viewer} |"
        )
    out = Path(__file__).parent / "results" / "live_serve.json"
    out.parent.mkdir(exist_ok=True)
    data = {"date": time.strftime("%Y-%m-%d"), "seconds": args.seconds, "summary": summary, "runs": runs}
    out.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    main()
