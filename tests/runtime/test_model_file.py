"""`--model` given something that is not a model file (issue 25, smaller defects): a folder, a device or
a pipe is named for what it is, in one line, instead of "does not exist"; ONNX metadata nested too deep
is refused like a nested manifest."""

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from bad_onnx import identity_model
from one_line_errors import assert_one_line_error, run_dae


def test_each_kind_of_path_is_named(tmp_path):
    from dae_runtime.model_file import model_file_problem

    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"x")
    os.mkfifo(tmp_path / "pipe.onnx")
    assert model_file_problem(tmp_path / "missing.onnx") == f"model file {tmp_path / 'missing.onnx'} does not exist"
    assert (
        model_file_problem(folder) == f"{folder} is a folder, not a model file: give the .onnx file in it (model.onnx)"
    )
    assert "is a device, not a model file" in model_file_problem(Path("/dev/null"))
    assert "is a pipe or a socket, not a model file" in model_file_problem(tmp_path / "pipe.onnx")
    assert model_file_problem(folder / "model.onnx") is None


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "in.png"
    cv2.imwrite(str(path), np.zeros((28, 28), np.uint8))
    return path


@pytest.mark.parametrize("model, fragment", [("{folder}", "is a folder"), ("/dev/null", "is a device")])
def test_denoise_and_live_name_what_model_is(tmp_path, image, model, fragment):
    (tmp_path / "folder").mkdir()
    model = model.format(folder=tmp_path / "folder")
    run = run_dae("denoise", image, "--out", tmp_path / "out", "--model", model)
    line = assert_one_line_error(run, fragment, "not a model file", code=1)
    assert "does not exist" not in line and not (tmp_path / "out").exists()
    run = run_dae("live", "--source", image, "--headless", "--out", tmp_path / "live.mp4", "--model", model)
    assert_one_line_error(run, fragment, "not a model file", code=1)


def test_deeply_nested_onnx_metadata_is_one_line(tmp_path, image):
    """The "input" metadata is JSON too: 100,000 '[' raised RecursionError (a traceback) when the model loaded."""
    model = identity_model(tmp_path / "nested.onnx", metadata={"input": "[" * 100_000 + "]" * 100_000})
    run = run_dae("denoise", image, "--out", tmp_path / "out", "--model", model)
    assert_one_line_error(run, "metadata 'input' is not usable JSON", "nests 100,000 levels deep", code=1)
