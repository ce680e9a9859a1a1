"""`dae live`: denoise digits from a camera or a stream, in a window, a video file and/or a browser."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click

from dae_runtime.cli.options import file_not_stdout, load_denoiser, model_option, precision_option, threads_option
from dae_runtime.cli.types import FiniteFloatRange
from dae_runtime.cv_paths import printable
from dae_runtime.live import SERVE_FPS


def _address(ctx, param, value):
    if value is None:
        return None
    from dae_runtime.live.serve import parse_address

    try:
        return parse_address(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


TOKEN_CHARACTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")  # URL- and cookie-safe


def _serve_address(ctx: click.Context, serve, serve_token: str | None, no_token: bool):
    """--serve with its token options, as serve.ServeAddress; a warning line for --no-token on the LAN."""
    from click.core import ParameterSource

    from dae_runtime.live.http_guard import is_loopback
    from dae_runtime.live.serve import ServeAddress

    typed = ctx.get_parameter_source("serve_token") == ParameterSource.COMMANDLINE
    if serve is None:
        if typed or no_token or ctx.get_parameter_source("serve_fps") == ParameterSource.COMMANDLINE:
            raise click.UsageError("--serve-token, --no-token and --serve-fps go with --serve [HOST:]PORT")
        return None
    if typed and no_token:
        raise click.UsageError("give --serve-token TOKEN or --no-token, not both")
    if no_token and not is_loopback(serve[0]):
        click.echo(
            f"Warning: --no-token: anyone who can reach port {serve[1]} of this machine can watch the camera "
            "and press the buttons",
            err=True,
        )
    token = None if no_token else serve_token  # $DAE_LIVE_TOKEN is ignored with --no-token
    if token is not None and not (16 <= len(token) <= 256 and set(token) <= TOKEN_CHARACTERS):
        hint = "'--serve-token'" if typed else "$DAE_LIVE_TOKEN"
        raise click.BadParameter("use 16 to 256 letters, digits, '-', '_', '.' or '~'", param_hint=hint)
    return ServeAddress(serve[0], serve[1], token, no_token)


def _check_usage(camera, source, loop, headless, out, serve, width, height) -> None:
    """Options that cannot go together: a usage error (exit 2) before anything opens."""
    from dae_runtime.sources.stream import is_live

    if (camera is None) == (source is None):
        raise click.UsageError("give exactly one of --camera N|/dev/videoN|picam or --source FILE|URL")
    if headless and not (out or serve):
        raise click.UsageError("--headless needs --out FILE for the composed video (or --serve [HOST:]PORT)")
    if (width is None) != (height is None):
        raise click.UsageError("give --width and --height together")
    if loop and (source is None or is_live(source)):
        raise click.UsageError("--loop repeats a video file: give --source FILE")
    if out and source and Path(out).resolve() == Path(source).resolve():
        raise click.UsageError("--out must not be the --source video")


def _finite(ctx, param, value):
    if value is not None and value != value:  # nan passes every FloatRange
        raise click.BadParameter("not a number")
    return value


@click.command()
@click.option(
    "--camera",
    default=None,
    help="A camera: N or /dev/videoN (USB webcam via OpenCV), picam or picam:N (Raspberry Pi camera via picamera2).",
)
@click.option(
    "--source",
    default=None,
    help="A video file or a stream URL (http MJPEG, rtsp://, tcp://). A file watched in the window or through "
    "--serve plays at its own frame rate, like a camera; with --headless --out and no --serve it runs as fast "
    "as it can, every frame recorded.",
)
@click.option("--loop", is_flag=True, help="Play the --source video file again from the start when it ends.")
@click.option("--width", type=click.IntRange(min=16), default=None, help="Camera frame width (with --height).")
@click.option("--height", type=click.IntRange(min=16), default=None, help="Camera frame height (with --width).")
@click.option(
    "--fps", type=click.FloatRange(1, 240), callback=_finite, default=None, help="Camera frame rate to ask for."
)
@model_option
@precision_option(True)  # int8 by default: the fastest here (0.01 dB from fp32)
@threads_option
@click.option(
    "--add-noise",
    type=FiniteFloatRange(0, 1),
    default=0.3,
    show_default=True,
    help="Gaussian noise added to each digit crop (keys + and - change it).",
)
@click.option("--full-frame", is_flag=True, help="Denoise the whole downscaled frame instead of digit crops.")
@click.option("--headless", is_flag=True, help="No window: write the composed video to --out.")
@click.option(
    "--out", type=click.Path(dir_okay=False), default=None, callback=file_not_stdout, help="Composed video (.mp4)."
)
@click.option(
    "--serve",
    default=None,
    callback=_address,
    metavar="[HOST:]PORT",
    help="Show the live view in a browser at http://HOST:PORT/ instead of a window (HOST 127.0.0.1 unless "
    "given; 0.0.0.0 for the LAN, where the address printed at start carries an access token). It answers only "
    "requests to its own address, from its own page, each sent within 10 s.",
)
@click.option(
    "--serve-fps",
    type=FiniteFloatRange(1, 60),
    default=SERVE_FPS,
    show_default=True,
    envvar="DAE_LIVE_SERVE_FPS",
    help="The browser view's frames per second at most, of the camera's (each is a JPEG: on a Pi 4, 12 keeps all "
    "of the loop but the model within 12 M instructions a frame). Also read from $DAE_LIVE_SERVE_FPS.",
)
@click.option(
    "--serve-token",
    metavar="TOKEN",
    envvar="DAE_LIVE_TOKEN",
    default=None,
    help="The access token the browser view asks for (also on 127.0.0.1); default on the LAN: a new random "
    "one at every start. Also read from $DAE_LIVE_TOKEN, which ps does not show.",
)
@click.option(
    "--no-token",
    is_flag=True,
    help="No access token even on the LAN: anyone who reaches the port watches and presses the buttons.",
)
@click.option("--max-frames", type=click.IntRange(min=1), default=None, help="Stop after this many frames.")
@click.option(
    "--status-seconds",
    type=FiniteFloatRange(0.01, 86400),
    envvar="DAE_LIVE_STATUS_SECONDS",
    default=60.0,
    hidden=True,  # for tests and pi-check; the minute is what a system log wants
    help="Without a terminal, log a line of the figures this often.",
)
def live(
    camera,
    source,
    loop,
    width,
    height,
    fps,
    model_path,
    int8,
    threads,
    add_noise,
    full_frame,
    headless,
    out,
    serve,
    serve_token,
    no_token,
    serve_fps,
    max_frames,
    status_seconds,
) -> None:
    """Find digits on paper in each frame, denoise them in one batch, show input / noisy / denoised.

    Without a terminal (under systemd, output to a file or pipe) it logs a line of its figures every
    minute, `live status: fps=... frames=... digits=... latency_ms=... viewers=...`; it exits with 1 when
    the source fails for good (a camera that stops giving frames, a stream gone for a minute), so a
    service manager can restart it.
    """
    from dae_runtime.live.display import window_problem
    from dae_runtime.live.outputs import check_out_writable
    from dae_runtime.live.pipeline import LiveConfig, LiveError, LivePipeline
    from dae_runtime.live.session import SessionOptions, run_session
    from dae_runtime.recording import recover_recordings
    from dae_runtime.sources import CaptureSettings, SourceError, make_source

    serve = _serve_address(click.get_current_context(), serve, serve_token, no_token)
    _check_usage(camera, source, loop, headless, out, serve, width, height)
    window = not headless and serve is None
    problem = (window and window_problem()) or (out and check_out_writable(out))
    if problem:  # before the camera opens and the model loads
        raise click.ClickException(printable(problem))
    if out:
        for path, seconds in recover_recordings(Path(out).parent):
            click.echo(
                printable(f"Recovered {seconds:.1f} s of a recording that was cut short (kill, power loss): {path}")
            )
    settings = CaptureSettings(width=width, height=height, fps=fps, loop=loop)
    try:
        frame_source = make_source("camera", camera, settings) if camera else make_source("source", source, settings)
    except SourceError as exc:
        raise click.UsageError(printable(exc)) from None
    denoiser = load_denoiser(model_path, int8, threads)
    pipeline = LivePipeline(denoiser, LiveConfig(add_noise=add_noise, full_frame=full_frame))
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` and systemd stop cleanly, like Ctrl-C
    status = None if sys.stdout.isatty() else status_seconds
    options = SessionOptions(
        window=window, out=out, serve=serve, max_frames=max_frames, serve_fps=serve_fps, status_seconds=status
    )
    try:
        summary = run_session(pipeline, frame_source, options, echo=click.echo)
    except (LiveError, SourceError) as exc:
        raise click.ClickException(printable(exc)) from None
    model = f"{denoiser.path.parent.name}/{denoiser.path.name}"
    click.echo(f"{summary.frames} frames, pipeline {summary.pipeline_fps:.0f} FPS (frame processing only), {model}")
    if out:
        click.echo(printable(f"Wrote {out}"))
