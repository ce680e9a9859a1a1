"""`dae live` against hostile or unlucky use: odd arguments, odd clients, sources that fail mid-session."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from dae_runtime.cli import main
from dae_runtime.serve import LiveServer
from dae_runtime.sources import FrameSource, SourceError, register, unregister
from dae_runtime.synthetic import paper_frame, synthetic_digits

STANDINS = Path(__file__).parent / "standins"


@pytest.fixture
def picamera2(monkeypatch):
    """The stand-in picamera2 package on sys.path, fresh for each test."""
    monkeypatch.syspath_prepend(str(STANDINS))
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)
    import picamera2

    picamera2.Picamera2.instances, picamera2.Picamera2.cameras = [], 1
    picamera2.Picamera2.force_format, picamera2.Picamera2._in_use = None, set()
    yield picamera2.Picamera2
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)


def raw_http(port: int, request: bytes, host: str = "127.0.0.1") -> bytes:
    """Send `request` as is and read until the server closes or goes quiet (bounded: 3 s of silence)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.settimeout(3)
        s.connect((host, port))
        s.sendall(request)
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return data


def test_a_post_body_cannot_smuggle_a_control_request_past_the_header_check():
    # A cross-site page can POST any text/plain body without a preflight; if the server left the body
    # unread on a kept-alive connection it would run it as the next request, header and all.
    inner = b"POST /control?action=mode HTTP/1.1\r\nHost: x\r\nX-Dae-Control: 1\r\nContent-Length: 0\r\n\r\n"
    outer = b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(inner)
    with LiveServer("127.0.0.1", 0, stats=dict) as server:
        server.publish(np.zeros((8, 8, 3), np.uint8), 0.0)
        answer = raw_http(server.port, outer + inner)
        assert answer.startswith(b"HTTP/1.1 403"), answer[:80]
        assert b"queued" not in answer and server.pending_keys() == []
        # The page's own button press still works.
        own = b"POST /control?action=mode HTTP/1.1\r\nHost: x\r\nX-Dae-Control: 1\r\nConnection: close\r\n\r\n"
        assert b'{"queued": "mode"}' in raw_http(server.port, own)
        assert server.pending_keys() == [ord("f")]


def video_frames(path) -> int:
    import cv2

    capture, n = cv2.VideoCapture(str(path)), 0
    while capture.read()[0]:
        n += 1
    return n


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in output, output
    return lines[0]


def test_a_source_that_fails_mid_session_keeps_the_video_recorded_so_far(tmp_path):
    # Like a network stream that stays away past its reconnect time: one line, exit 1, and the frames
    # already written stay in --out.
    @register("failing", "camera", accepts=lambda spec: spec == "failing", example="failing")
    class Failing(FrameSource):
        def __init__(self, spec, settings):
            self.left = 4

        def open(self):
            pass

        def read(self):
            if not self.left:
                raise SourceError("the stand-in camera went away")
            self.left -= 1
            return paper_frame(synthetic_digits(4, seed=1), (240, 320))

        def release(self):
            pass

    out = tmp_path / "kept.mp4"
    try:
        result = CliRunner().invoke(main, ["live", "--camera", "failing", "--headless", "--out", str(out)])
    finally:
        unregister("failing")
    assert result.exit_code == 1
    assert "went away" in one_error_line(result.output)
    assert video_frames(out) == 4


def test_a_pi_camera_that_fails_mid_session_is_one_line_and_keeps_the_video(picamera2, monkeypatch, tmp_path):
    capture = picamera2.capture_array

    def failing_capture(self, name="main"):
        if self.frame >= 3:
            raise RuntimeError("Camera frontend has timed out!")  # what libcamera says when the ribbon slips
        return capture(self, name)

    monkeypatch.setattr(picamera2, "capture_array", failing_capture)
    out = tmp_path / "picam.mp4"
    result = CliRunner().invoke(main, ["live", "--camera", "picam", "--headless", "--out", str(out)])
    assert result.exit_code == 1
    assert "timed out" in one_error_line(result.output)
    assert video_frames(out) == 3 and picamera2.instances[0].closed


def test_the_give_up_line_of_a_stream_does_not_print_its_password():
    import cv2

    from dae_runtime.sources import CaptureSettings, make_source

    source = make_source("source", "rtsp://admin:secret@127.0.0.1:9/live", CaptureSettings(reconnect_seconds=0))
    source.capture, source.notify = cv2.VideoCapture(), lambda message: None
    with pytest.raises(SourceError, match="did not come back") as error:
        source._reconnect()
    assert "secret" not in str(error.value) and "127.0.0.1:9/live" in str(error.value)


def test_out_keeps_every_frame_when_the_view_changes_size(tmp_path):
    # The mode button (or key f) switches to full frame, whose view is narrower; OpenCV's writer silently
    # drops frames of another size, so they must be fitted to the first frame's size.
    import cv2

    from dae_runtime.live_out import VideoOut

    out = tmp_path / "sizes.mp4"
    with VideoOut(str(out), 15) as video:
        for width in (504, 504, 426, 426, 600, 504):
            video.write(np.full((240, width, 3), 128, np.uint8))
    assert video_frames(out) == 6
    capture = cv2.VideoCapture(str(out))
    assert capture.get(cv2.CAP_PROP_FRAME_WIDTH) == 504 and capture.get(cv2.CAP_PROP_FRAME_HEIGHT) == 240


@pytest.fixture(scope="module")
def denoiser():
    from dae_runtime.denoiser import Denoiser

    return Denoiser()


@pytest.mark.parametrize("full_frame", [False, True])
@pytest.mark.parametrize("shape", [(1, 1, 3), (2, 2, 3), (16, 16, 3), (19, 640, 3), (8, 400, 3), (400, 8, 3), (4, 4)])
def test_tiny_or_odd_frames_do_not_crash_the_pipeline(denoiser, shape, full_frame):
    # A file or camera can give frames of any size (a thumbnail video, a 1-line test pattern).
    from dae_runtime.live import LiveConfig, LivePipeline

    pipeline = LivePipeline(denoiser, LiveConfig(full_frame=full_frame))
    result = pipeline.process(np.full(shape, 200, np.uint8))
    assert result.view.shape[0] == shape[0] and result.view.shape[1] > shape[1] and result.view.ndim == 3


def test_a_webcam_index_too_big_for_opencv_is_one_line(tmp_path):
    out = tmp_path / "x.mp4"
    result = CliRunner().invoke(main, ["live", "--camera", "99999999999999999999", "--headless", "--out", str(out)])
    assert result.exit_code in (1, 2)
    assert "camera 99999999999999999999" in one_error_line(result.output) and not out.exists()


@pytest.mark.parametrize("step", ["global_camera_info", "stop", "close"])
def test_a_pi_camera_that_fails_to_list_or_stop_is_one_line_or_none(picamera2, monkeypatch, tmp_path, step):
    def fail(*args, **kwargs):
        raise RuntimeError(f"libcamera: {step} failed")

    monkeypatch.setattr(picamera2, step, staticmethod(fail) if step == "global_camera_info" else fail)
    out = tmp_path / "x.mp4"
    args = ["live", "--camera", "picam", "--headless", "--out", str(out), "--max-frames", "3"]
    result = CliRunner().invoke(main, args)
    if step == "global_camera_info":  # before any frame: an error, no video
        assert result.exit_code == 1 and "failed" in one_error_line(result.output) and not out.exists()
    else:  # after the last frame: the video is whole and the session ends as usual
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output and video_frames(out) == 3


def test_ipv6_addresses_serve_and_ambiguous_ones_are_refused():
    import json
    import urllib.request

    from dae_runtime.serve import parse_address

    assert parse_address("[::1]:0") == ("::1", 0)
    for bad in ("::1", "fe80::1:4912", "²", "٣"):  # an unbracketed IPv6 address; digits that are not 0-9
        with pytest.raises(ValueError, match=r"is not \[HOST:\]PORT"):
            parse_address(bad)
    try:
        socket.socket(socket.AF_INET6).close()
    except OSError:
        pytest.skip("no IPv6 here")
    with LiveServer("::1", 0, stats=lambda: {"frames": 1}) as server:
        assert server.url == f"http://[::1]:{server.port}/"
        with urllib.request.urlopen(server.url + "stats", timeout=10) as response:
            assert json.loads(response.read())["frames"] == 1


def test_a_display_that_does_not_answer_is_one_line_not_an_abort(monkeypatch, tmp_path):
    # An ssh session or sudo that kept DISPLAY, with no X server behind it: Qt would abort (exit 134).
    from dae_runtime.display import window_problem, x_display_answers

    if not sys.platform.startswith("linux"):
        pytest.skip("the display check is Linux's")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":99")
    if x_display_answers(":99"):
        pytest.skip("an X server answers at :99 here")
    assert ":99" in window_problem() and "--serve" in window_problem()
    result = CliRunner().invoke(main, ["live", "--source", str(tmp_path / "a.mp4")])
    assert result.exit_code == 1 and "DISPLAY=:99" in one_error_line(result.output)
    # One that answers (an X server over TCP on 6000 + N, as ssh -X forwards it) is taken as there.
    with socket.socket() as listener:
        for number in range(50, 100):
            try:
                listener.bind(("127.0.0.1", 6000 + number))
                break
            except OSError:
                continue
        listener.listen()
        assert x_display_answers(f"127.0.0.1:{number}.0")
    assert not x_display_answers(f"127.0.0.1:{number}")


def test_an_out_folder_that_refuses_files_is_one_line(tmp_path):
    # /proc passes os.access for root but refuses new files: the temporary file's error must be one line.
    if not Path("/proc/self").exists():
        pytest.skip("no /proc here")
    video = tmp_path / "paper.mp4"
    writer = cv2_writer(video, (240, 320))
    writer.write(paper_frame(synthetic_digits(4, seed=1), (240, 320)))
    writer.release()
    result = CliRunner().invoke(main, ["live", "--source", str(video), "--headless", "--out", "/proc/dae-x.mp4"])
    assert result.exit_code == 1 and "/proc" in one_error_line(result.output)


def cv2_writer(path, size):
    import cv2

    return cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 15, (size[1], size[0]))


def test_clients_that_reset_print_nothing_on_the_console(capfd):
    # A tab closed mid-request, a phone leaving the Wi-Fi: socketserver would print a traceback for each.
    import struct
    import time

    def reset_after(port: int, data: bytes, wait: float) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            s.sendall(data)
            time.sleep(wait)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST

    with LiveServer("127.0.0.1", 0, stats=lambda: {"frames": 1}) as server:
        server.publish(np.zeros((8, 8, 3), np.uint8), 0.0)
        reset_after(server.port, b"GET /sta", 0.2)
        for path in ("/stats", "/", "/stream.mjpg"):
            for _ in range(5):
                reset_after(server.port, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 0.0)
        time.sleep(0.5)
        assert b'"frames": 1' in raw_http(server.port, b"GET /stats HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert "Traceback" not in capfd.readouterr().err


def test_idle_connections_beyond_the_bound_are_closed_at_once(monkeypatch, capfd):
    # One thread per connection: without a bound, a LAN client holding thousands of silent connections
    # would start thousands of threads (and print a traceback for each one the system refuses).
    import time

    from dae_runtime import serve

    monkeypatch.setattr(serve._Server, "max_connections", 4)
    with LiveServer("127.0.0.1", 0, stats=lambda: {"frames": 1}) as server:
        idle = [socket.create_connection(("127.0.0.1", server.port), timeout=3) for _ in range(4)]
        time.sleep(0.3)
        with socket.create_connection(("127.0.0.1", server.port), timeout=3) as extra:
            extra.sendall(b"GET /stats HTTP/1.1\r\n\r\n")
            started = time.monotonic()
            try:
                assert extra.recv(100) == b""  # closed, not left waiting for a free thread
            except ConnectionResetError:
                pass
            assert time.monotonic() - started < 2
        for s in idle:
            s.close()
        time.sleep(0.3)
        assert b'"frames": 1' in raw_http(server.port, b"GET /stats HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert "Traceback" not in capfd.readouterr().err


def test_full_frame_work_stays_bounded_on_a_frame_of_extreme_aspect(denoiser):
    # Full frame scales to 160 wide: a 400x8 frame would become 8000x160 for the model (a 1000x1 one,
    # 160000x160 -- gigabytes of activations). The height is capped; the picture is squeezed instead.
    from dae_runtime.live import LiveConfig, LivePipeline

    pipeline = LivePipeline(denoiser, LiveConfig(full_frame=True))
    result = pipeline.process(np.full((400, 8, 3), 200, np.uint8))
    assert result.clean.shape[1] == 160 and result.clean.shape[0] <= 8 * 160


def test_a_nonsense_frame_rate_neither_hangs_the_writer_nor_passes_the_cli(tmp_path):
    # OpenCV's VideoWriter never returns from an infinite rate (not even on SIGTERM): run it in a child.
    import subprocess

    script = (
        "import sys, numpy as np\n"
        "from dae_runtime.live_out import VideoOut\n"
        "for fps in (float('inf'), float('nan'), 0.0):\n"
        "    with VideoOut(sys.argv[1] + f'/{fps}.mp4', fps) as video:\n"
        "        video.write(np.zeros((32, 32, 3), np.uint8))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert all(video_frames(tmp_path / f"{fps}.mp4") == 1 for fps in ("inf", "nan", "0.0"))
    for fps in ("inf", "nan", "100000"):
        result = CliRunner().invoke(main, ["live", "--camera", "picam", "--fps", fps, "--headless", "--out", "x.mp4"])
        assert result.exit_code == 2 and "--fps" in result.output, result.output
