"""Fault suite, runtime half (issue 12, defects 5, 6 and 10): broken models, golden sets, arrays and
options reach the user as one line and exit code 1 or 2, and nothing is written for them.

Runs in the runtime-only venv too: the broken models are built with onnx, no TensorFlow.
"""

import os

import cv2
import numpy as np
import pytest

from bad_onnx import identity_model
from dae_runtime.synthetic import paper_frame, synthetic_digits
from one_line_errors import assert_one_line_error, run_dae


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Good inputs (an image, a golden set, a short video of paper digits) and broken models."""
    d = tmp_path_factory.mktemp("faults")
    digits = synthetic_digits(8)
    cv2.imwrite(str(d / "digit.png"), (digits[0] * 255).astype(np.uint8))
    np.savez(d / "golden.npz", noisy=digits[..., None], clean=digits[..., None], keras=digits[..., None])
    writer = cv2.VideoWriter(str(d / "paper.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10, (640, 480))
    for i in range(2):
        writer.write(paper_frame(digits, shift=(i, i)))
    writer.release()
    identity_model(d / "rgb.onnx", channels=3)
    identity_model(d / "int64.onnx", elem_type="INT64")
    identity_model(d / "multiple0.onnx", metadata={"input": '{"size_multiple": 0}'})
    identity_model(d / "metadata.onnx", metadata={"input": "not json {"})
    identity_model(d / "nan_weights.onnx", nan_weight=True)
    return d


BAD_MODELS = [
    ("rgb.onnx", "not gray images"),
    ("int64.onnx", "tensor(int64), not float32"),
    ("multiple0.onnx", "size_multiple=0"),
    ("metadata.onnx", "metadata 'input' is not usable JSON"),
    ("nan_weights.onnx", "NaN or infinite pixels"),
]


@pytest.mark.parametrize("model, fragment", BAD_MODELS)
def test_compare_golden_with_a_bad_model(files, model, fragment):
    run = run_dae("compare", "--golden", files / "golden.npz", "--model", files / model, "--iters", "1")
    assert_one_line_error(run, fragment, code=1)


@pytest.mark.parametrize("model, fragment", BAD_MODELS[:3])
def test_live_with_a_bad_model(files, tmp_path, model, fragment):
    out = tmp_path / "live.mp4"
    run = run_dae("live", "--source", files / "paper.mp4", "--headless", "--out", out, "--model", files / model)
    assert_one_line_error(run, fragment, code=1)
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("model, fragment", BAD_MODELS[3:])
def test_denoise_with_a_bad_model_writes_nothing(files, tmp_path, model, fragment):
    run = run_dae("denoise", files / "digit.png", "--out", tmp_path / "out", "--model", files / model)
    assert_one_line_error(run, fragment, code=1)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_an_onnx_error_keeps_its_reason(files, tmp_path):
    """onnxruntime's message starts with a C++ location and signature; the reason used to be cut off."""
    import onnx

    model = onnx.load(str(files / "nan_weights.onnx"))
    model.opset_import[0].version = 99
    onnx.save(model, str(tmp_path / "opset99.onnx"))
    run = run_dae("denoise", files / "digit.png", "--out", tmp_path / "out", "--model", tmp_path / "opset99.onnx")
    line = assert_one_line_error(run, "Opset 99", code=1)
    assert "onnxruntime::" not in line and ".cc:" not in line and ".h:" not in line


@pytest.mark.parametrize(
    "arrays, fragment",
    [
        ({k: np.zeros((0, 28, 28, 1), np.float32) for k in ("noisy", "clean", "keras")}, "holds no digits"),
        ({k: np.zeros((4, 28, 28, 3), np.float32) for k in ("noisy", "clean", "keras")}, "(N, H, W[, 1])"),
    ],
    ids=["empty", "three-channel"],
)
def test_compare_with_a_bad_golden_set(tmp_path, arrays, fragment):
    np.savez(tmp_path / "golden.npz", **arrays)
    assert_one_line_error(run_dae("compare", "--golden", tmp_path / "golden.npz"), fragment, code=1)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--settle", "nan"], "'--settle'"),
        (["--batch", "99999999999"], "up to 1024"),
        (["--batch", "1,2048"], "up to 1024"),
    ],
)
def test_compare_refuses_bad_numbers_at_once(files, args, fragment):
    assert_one_line_error(run_dae("compare", "--golden", files / "golden.npz", *args, timeout=60), fragment, code=2)


def test_compare_checks_where_results_go_before_measuring(files, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    run = run_dae("compare", "--golden", files / "golden.npz", "--json", blocker / "result.json")
    assert_one_line_error(run, "cannot write", "not a folder", code=1)
    assert "PSNR" not in run.out  # refused before measuring, not after
    assert blocker.read_text() == "not a folder"


def test_nan_pixels_are_refused_in_one_line_and_the_other_inputs_go_on(files, tmp_path):
    bad = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    bad[3, 5] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    out = tmp_path / "out"
    run = run_dae("denoise", tmp_path / "nan.npy", files / "digit.png", "--out", out)
    assert_one_line_error(run, "nan.npy", "1 NaN or infinite pixel", code=1)
    assert sorted(p.name for p in out.iterdir()) == ["digit.denoised.png"]


def test_add_noise_nan_is_refused(files, tmp_path):
    run = run_dae("denoise", files / "digit.png", "--out", tmp_path / "out", "--add-noise", "nan")
    assert_one_line_error(run, "'--add-noise'", "not a finite number", code=2)
    assert not (tmp_path / "out").exists()


def test_a_text_file_named_npy_is_called_what_it_is(tmp_path):
    (tmp_path / "notes.npy").write_text("hello")
    run = run_dae("denoise", tmp_path / "notes.npy", "--out", tmp_path / "out")
    line = assert_one_line_error(run, "not a .npy file", code=1)
    assert "pickled" not in line


def test_a_pipe_given_as_an_input_is_refused_without_waiting(files, tmp_path):
    # OpenCV (and the /proc/self/fd path for a name that is not UTF-8) opened it and waited for a writer.
    pipes = [tmp_path / "pipe.png", tmp_path / os.fsdecode(b"b\xff.png")]
    for pipe in pipes:
        os.mkfifo(pipe)
    run = run_dae("denoise", *pipes, files / "digit.png", "--out", tmp_path / "out", timeout=120)
    assert run.code == 1 and "Traceback" not in run.err + run.out
    assert run.err.count("is a pipe, a socket or a device, not a file") == 2, run.err
    assert (tmp_path / "out" / "digit.denoised.png").is_file()  # the other inputs go on


def test_an_unreadable_subfolder_is_reported(tmp_path, monkeypatch):
    """Permissions do not stop root (CI), so the refusal is injected where os.walk lists a folder."""
    from dae_runtime.denoise_files import collect

    (tmp_path / "in" / "locked").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "in" / "a.png"), np.zeros((8, 8), np.uint8))
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    jobs, refused = collect([str(tmp_path / "in")])
    assert [j.source.name for j in jobs] == ["a.png"]
    assert [(p.name, reason) for p, reason in refused] == [
        ("locked", "cannot be read (Permission denied); its files are skipped")
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder; the injected test above covers root")
def test_an_unreadable_subfolder_is_reported_by_the_command(tmp_path):
    locked = tmp_path / "in" / "locked"
    locked.mkdir(parents=True)
    cv2.imwrite(str(locked / "b.png"), np.zeros((8, 8), np.uint8))
    cv2.imwrite(str(tmp_path / "in" / "a.png"), np.zeros((8, 8), np.uint8))
    locked.chmod(0)
    try:
        run = run_dae("denoise", tmp_path / "in", "--out", tmp_path / "out")
    finally:
        locked.chmod(0o755)
    assert_one_line_error(run, "locked: cannot be read", code=1)
    assert (tmp_path / "out" / "in" / "a.denoised.png").is_file()
