"""Big images in overlapping tiles: the same result as one pass, and bounded memory for 20000x20000."""

import json
import resource
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

import dae_runtime
from dae_runtime.denoiser import Denoiser
from dae_runtime.synthetic import paper_frame
from dae_runtime.tiles import SEED_RECEPTIVE_RADIUS, TileConfig, read_window, windows

ONE_PASS = TileConfig(tile=1 << 16)  # every test image fits in one window


@pytest.mark.parametrize("height, width", [(301, 453), (64, 64), (4, 1000), (130, 7)])
def test_windows_cover_the_image_once_and_start_on_the_size_multiple(height, width):
    covered = np.zeros((height, width), np.int32)
    for win in windows(height, width, 4, TileConfig(tile=32, margin=12)):
        covered[win.out_rows, win.out_cols] += 1
        assert win.rows.start % 4 == 0 and win.cols.start % 4 == 0  # poolings see the one-pass 2x2 blocks
        assert (win.rows.stop - win.rows.start) % 4 == 0 and (win.cols.stop - win.cols.start) % 4 == 0
        # the kept part lies at least `margin` inside the window, except where the window meets the image edge
        assert win.keep_rows.start >= 12 or win.rows.start == 0
        assert win.keep_cols.start >= 12 or win.cols.start == 0
        padded_h, padded_w = -(-height // 4) * 4, -(-width // 4) * 4
        assert win.rows.stop - win.rows.start - win.keep_rows.stop >= 12 or win.rows.stop == padded_h
        assert win.cols.stop - win.cols.start - win.keep_cols.stop >= 12 or win.cols.stop == padded_w
    assert (covered == 1).all()


def test_the_default_margin_covers_the_seed_receptive_field():
    assert TileConfig().margin >= SEED_RECEPTIVE_RADIUS and TileConfig().margin % 4 == 0


def test_read_window_repeats_the_edge_like_np_pad():
    image = np.arange(7 * 9, dtype=np.uint8).reshape(7, 9)
    padded = np.pad(image, ((0, 1), (0, 3)), mode="edge")
    assert np.array_equal(read_window(image, slice(4, 8), slice(4, 12)), padded[4:8, 4:12])
    assert np.array_equal(read_window(image, slice(0, 4), slice(0, 4)), image[:4, :4])


@pytest.fixture(scope="module")
def page():
    """A 301x453 noisy page of digits (not a multiple of 4: the edge padding is exercised too)."""
    from dae_runtime.synthetic import synthetic_digits

    frame = cv2.cvtColor(paper_frame(synthetic_digits(8), size=(301, 453)), cv2.COLOR_BGR2GRAY)
    noise = np.random.default_rng(0).normal(0, 40, frame.shape)
    return np.clip(frame + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_tiles_give_the_one_pass_result(page, precision):
    """Stated tolerance: tiles equal one pass up to float summation order, 1e-5 in [0, 1] and one
    uint8 level (measured 2026-11-26: identical, 0.0, for both shipped models)."""
    one = Denoiser(precision=precision, tiles=ONE_PASS)
    tiled = Denoiser(precision=precision, tiles=TileConfig(tile=64))
    assert len(list(windows(*page.shape, 4, tiled.tiles))) == 40  # really in tiles: 5 x 8
    as_float = page.astype(np.float32) / 255
    assert np.abs(tiled.denoise(as_float) - one.denoise(as_float)).max() <= 1e-5
    assert np.abs(tiled.denoise(page).astype(int) - one.denoise(page)).max() <= 1


def test_a_margin_below_the_receptive_field_would_show(page):
    """The equivalence above is not luck: with 8 pixels of margin (< 11) the tile borders differ."""
    one = Denoiser(tiles=ONE_PASS).denoise(page)
    short = Denoiser(tiles=TileConfig(tile=64, margin=8)).denoise(page)
    assert np.abs(short.astype(int) - one).max() > 5


def test_video_frames_and_full_frame_live_use_the_tiles(monkeypatch):
    """The live full-frame mode and video frames go through Denoiser.denoise, hence the tiles."""
    from dae_runtime.live.pipeline import LiveConfig, LivePipeline

    denoiser = Denoiser(tiles=TileConfig(tile=32))
    calls = []
    run = denoiser.denoise_batch
    monkeypatch.setattr(denoiser, "denoise_batch", lambda x: calls.append(x.shape) or run(x))
    frame = np.full((480, 640, 3), 200, np.uint8)
    LivePipeline(denoiser, LiveConfig(full_frame=True, add_noise=0.0)).process(frame)
    assert len(calls) > 1 and max(s[1] for s in calls) <= 32 + 2 * 12


def _dae() -> str:
    return str(Path(sys.executable).with_name("dae"))


def _run_measuring_peak_rss(command, folder, preexec_fn, timeout_s=1800):
    """(exit code, stdout, stderr, peak RSS in bytes) of this one child. os.wait4 reports the child's own
    peak; getrusage(RUSAGE_CHILDREN) would report the largest child the test process ever had (in the
    full suite, an earlier TensorFlow training subprocess of 1.6 GB)."""
    import os
    import threading

    with open(folder / "stdout.txt", "w+") as out, open(folder / "stderr.txt", "w+") as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, text=True, preexec_fn=preexec_fn)
        killer = threading.Timer(timeout_s, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read(), err.read(), usage.ru_maxrss * 1024


TILE_SIDE = 1600  # an image of several full windows: its peak is the model's plus one window's inference
FORMULA_HEADROOM = 1.3  # the budget over the formula; measured peaks sit at 1.00x it (README, "Denoise files")


def _peak_of_dae_denoise(folder: Path, images: dict[str, np.ndarray], preexec_fn=None):
    """Write `images` as PNGs in `folder`, denoise them (int8) in one `dae denoise`, return (result, peak)."""
    for name, image in images.items():
        assert cv2.imwrite(str(folder / name), image)
    out = folder / "out"
    command = [_dae(), "denoise", *(str(folder / n) for n in images), "--out", str(out), "--int8"]
    return _run_measuring_peak_rss(command, folder, preexec_fn), out


@pytest.mark.slow
def test_a_20000_pixel_square_png_peaks_at_the_model_plus_one_tile_plus_input_and_output(tmp_path):
    """Issue 28: the peak of `dae denoise --int8` on a 20000x20000 PNG is bounded by design:
        peak <= R_tile + input bytes + output bytes,
    R_tile being the same command's peak on an image of a few full windows (the model, the libraries and
    one window's inference on this CPU), measured here. The budget is that bound x1.3 (measured 1.00x on
    an AMD EPYC with AVX-512 VNNI). A tile buffer kept alive per window (0.6 MB each, 729 windows) fails
    it. Also the hostile test's case: under a 3 GB address-space limit (RLIMIT_AS; glibc reserves 64 MB
    per thread arena) it is denoised whole and right, and a later input is still processed."""
    tile_dir, big_dir = tmp_path / "tile", tmp_path / "big"
    tile_dir.mkdir(), big_dir.mkdir()
    tile = (np.random.default_rng(0).random((TILE_SIDE, TILE_SIDE)) * 255).astype(np.uint8)
    (code, _, stderr, tile_peak), _ = _peak_of_dae_denoise(tile_dir, {"tile.png": tile})
    assert code == 0, stderr
    side, limit = 20000, 3 * 2**30
    image = np.zeros((side, side), np.uint8)
    cv2.putText(image, "2026", (1000, 12000), cv2.FONT_HERSHEY_SIMPLEX, 100, 255, 400)
    image[::997] = 128
    small = np.full((40, 40), 255, np.uint8)

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    result, out = _peak_of_dae_denoise(big_dir, {"a_huge.png": image, "b_small.png": small}, limit_memory)
    del image
    returncode, stdout, stderr, peak_bytes = result
    assert returncode == 0, stderr
    assert "2 file(s) written" in stdout
    model_and_one_tile = tile_peak - 2 * TILE_SIDE**2  # its own input and output taken out
    bound = model_and_one_tile + 2 * side * side  # + the 20000x20000 uint8 input and output
    assert peak_bytes < FORMULA_HEADROOM * bound, (
        f"peak RSS {peak_bytes / 2**20:.0f} MiB > {FORMULA_HEADROOM} x {bound / 2**20:.0f} MiB "
        f"(one tile's run {model_and_one_tile / 2**20:.0f} MiB + input + output)"
    )
    denoised = cv2.imread(str(out / "a_huge.denoised.png"), cv2.IMREAD_GRAYSCALE)
    assert denoised.shape == (side, side)
    # a window across a tile border (768) equals the same window denoised in one pass
    window = (slice(11000, 11800), slice(1400, 2400))
    source = cv2.imread(str(big_dir / "a_huge.png"), cv2.IMREAD_GRAYSCALE)
    crop = source[11000 - 64 : 11800 + 64, 1400 - 64 : 2400 + 64]
    del source
    expected = Denoiser(precision="int8", tiles=ONE_PASS).denoise(crop)[64:-64, 64:-64]
    assert np.abs(denoised[window].astype(int) - expected).max() <= 1
    assert (out / "b_small.denoised.png").is_file()


def _traced_peak_beyond_output(denoiser: Denoiser, side: int) -> int:
    """Bytes NumPy (tracemalloc) held at the peak of denoising a side x side uint8 image, beyond the
    output itself (onnxruntime's own buffers are not traced: the slow test above covers those)."""
    import tracemalloc

    image = np.full((side, side), 128, np.uint8)
    tracemalloc.start()
    try:
        denoiser.denoise(image)
        return tracemalloc.get_traced_memory()[1] - side * side
    finally:
        tracemalloc.stop()


def test_tiled_denoise_holds_one_window_whatever_the_image_size():
    """Only the output grows with the image: 4x the pixels (64 -> 256 windows) adds nothing beyond it. A
    window's buffer kept alive would add 16 KB per window, 3 MB here."""
    denoiser = Denoiser(precision="int8", tiles=TileConfig(tile=128))
    small, big = (_traced_peak_beyond_output(denoiser, side) for side in (1024, 2048))
    assert big - small < 512 * 1024, f"{small=} {big=}"


def test_every_window_of_an_image_has_one_shape():
    """Edge windows are shifted inwards, not cut: onnxruntime plans one set of buffers for all of them."""
    for height, width in [(3000, 800), (20000, 20000), (1601, 803), (790, 5000)]:
        shapes = {
            (w.rows.stop - w.rows.start, w.cols.stop - w.cols.start) for w in windows(height, width, 4, TileConfig())
        }
        assert len(shapes) == 1, (height, width, shapes)


def test_the_tile_overlap_follows_the_models_receptive_radius(tmp_path):
    """A deeper zoo model reaches further than the seed: its export's receptive_radius sets the overlap."""
    import onnx

    shipped = onnx.load(str(dae_runtime.default_model_path("fp32")))
    spec = json.loads(next(p.value for p in shipped.metadata_props if p.key == "input"))
    # The export's bound for the seed (its layers walked in series) is 16, over its exact 11.
    assert spec["receptive_radius"] == 16
    assert Denoiser().tiles.margin == 16
    for radius, margin in ((None, SEED_RECEPTIVE_RADIUS), (37, 37)):  # None: an export from before the zoo
        for prop in shipped.metadata_props:
            if prop.key == "input":
                with_radius = {k: v for k, v in spec.items() if k != "receptive_radius"}
                prop.value = json.dumps(with_radius if radius is None else {**with_radius, "receptive_radius": radius})
        onnx.save(shipped, str(tmp_path / f"{radius}.onnx"))
        assert Denoiser(tmp_path / f"{radius}.onnx").tiles.margin == margin
    denoiser = Denoiser(tmp_path / "37.onnx")
    windows_seen = list(windows(3000, 800, denoiser.size_multiple, denoiser.tiles))
    second_row = next(w for w in windows_seen if w.rows.start > 0)
    assert second_row.rows.start == 768 - 40  # 37 rounded up to the size multiple 4
