"""`dae live`: denoise digits from a webcam or a video, on screen or into a video file."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import click

from dae_runtime.denoise_cli import load_denoiser, model_option, precision_option, threads_option


@click.command()
@click.option("--camera", type=click.IntRange(min=0), default=None, help="Camera index (0: the first webcam).")
@click.option("--source", type=click.Path(dir_okay=False), default=None, help="A video file instead of a camera.")
@model_option
@precision_option(True)  # int8 by default: the fastest here (0.01 dB from fp32)
@threads_option
@click.option(
    "--add-noise",
    type=click.FloatRange(0, 1),
    default=0.3,
    show_default=True,
    help="Gaussian noise added to each digit crop (keys + and - change it).",
)
@click.option("--full-frame", is_flag=True, help="Denoise the whole downscaled frame instead of digit crops.")
@click.option("--headless", is_flag=True, help="No window: write the composed video to --out.")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Composed video (.mp4) for --headless.")
@click.option("--max-frames", type=click.IntRange(min=1), default=None, help="Stop after this many frames.")
def live(camera, source, model_path, int8, threads, add_noise, full_frame, headless, out, max_frames) -> None:
    """Find digits on paper in each frame, denoise them in one batch, show input / noisy / denoised."""
    from dae_runtime.live import LiveConfig, LiveError, LivePipeline, open_capture

    if (camera is None) == (source is None):
        raise click.UsageError("give exactly one of --camera N or --source FILE")
    if headless and not out:
        raise click.UsageError("--headless needs --out FILE for the composed video")
    if out and source and Path(out).resolve() == Path(source).resolve():
        raise click.UsageError("--out must not be the --source video")
    denoiser = load_denoiser(model_path, int8, threads)
    pipeline = LivePipeline(denoiser, LiveConfig(add_noise=add_noise, full_frame=full_frame))
    try:
        frames, busy = run(pipeline, open_capture(camera, source), headless, out, max_frames)
    except LiveError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{frames} frames, pipeline {frames / busy:.0f} FPS (frame processing only)")
    if out:
        click.echo(f"Wrote {out}")


def run(pipeline, capture, headless: bool, out: str | None, max_frames: int | None) -> tuple[int, float]:
    """Process frames until the source ends, max_frames, or q; returns (frames, seconds of processing)."""
    import cv2

    from dae_runtime.atomic import atomic_path
    from dae_runtime.live import LiveError

    frames, busy, writer = 0, 0.0, None
    with ExitStack() as stack:
        stack.callback(capture.release)
        tmp = stack.enter_context(atomic_path(out)) if out else None
        fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
        while max_frames is None or frames < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            result = pipeline.process(frame)
            busy += result.seconds
            frames += 1
            if tmp is not None:
                if writer is None:
                    h, w = result.view.shape[:2]
                    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
                    stack.callback(writer.release)
                    if not writer.isOpened():
                        raise LiveError(f"OpenCV cannot write the video {out} (use a .mp4 name)")
                writer.write(result.view)
            if not headless:
                try:
                    cv2.imshow("dae live", result.view)
                    key = cv2.waitKey(1) & 0xFF
                except cv2.error as exc:
                    raise LiveError("cannot open a window (no display?): use --headless --out FILE") from exc
                if key != 0xFF and not pipeline.handle_key(key):
                    break
        if frames == 0:
            raise LiveError("no frame could be read from the source")  # and no empty --out file
        if writer is not None:
            writer.release()
        if not headless:
            cv2.destroyAllWindows()
    return frames, max(busy, 1e-9)
