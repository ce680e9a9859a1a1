"""ncnn and MNN as export steps (issue 26): held to Keras like the ONNX models, refused in one line when a
package is missing, a converter fails or a model is outside its gate. The exported files themselves are
checked on the session's full export (test_export_steps.py, test_compare_engines.py)."""

from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pytest
from click.testing import CliRunner

from dae_export.errors import ExportError


def test_the_peers_pass_the_exports_checks(full_export):
    _, summary = full_export
    for engine in ("ncnn", "mnn"):
        assert summary.metrics[f"{engine}_fp32"]["max_abs_diff_vs_keras"] <= 1e-4
        assert summary.metrics[f"{engine}_int8"]["psnr_loss_vs_fp32_db"] <= 0.2


@pytest.fixture(scope="module")
def peer_context(trained_model, tmp_path_factory):
    """A step's context for the one-epoch model (64 calibration digits); contexts made from it share one scratch
    folder, so the peers' source graph is converted once."""
    from dae_export.config import ExportConfig
    from dae_export.pipeline import _prepare
    from dae_export.steps import ExportContext

    scratch = tmp_path_factory.mktemp("peer-scratch")
    cfg = ExportConfig(str(trained_model), str(tmp_path_factory.mktemp("peer-out")), calib_samples=64)
    shared = _prepare(cfg, lambda s: None)

    def make(stage, **changes):
        return ExportContext(**{**shared, "cfg": replace(cfg, **changes)}, stage=stage, scratch=scratch, outputs=(),
                             results=MappingProxyType({}))  # fmt: skip

    return make


def one_line(exc: pytest.ExceptionInfo) -> str:
    assert "\n" not in str(exc.value) and "Traceback" not in str(exc.value)
    return str(exc.value)


@pytest.mark.slow
def test_an_ncnn_model_that_differs_from_keras_stops_the_export(peer_context, tmp_path, monkeypatch):
    from dae_export.peers import ncnn_convert
    from dae_export.steps.ncnn_peer import NcnnStep

    converted = ncnn_convert.to_ncnn

    def broken(*args):  # the conversion gets the last conv's bias wrong
        param = converted(*args)
        weights = param.with_suffix(".bin")
        weights.write_bytes(weights.read_bytes()[:-4] + np.float32(0.5).tobytes())
        return param

    monkeypatch.setattr(ncnn_convert, "to_ncnn", broken)
    with pytest.raises(ExportError, match=r"^ncnn fp32 and Keras outputs differ by") as exc:
        NcnnStep().run(peer_context(tmp_path))
    one_line(exc)


@pytest.mark.slow
def test_an_mnn_int8_model_outside_the_gate_stops_the_export(peer_context, tmp_path):
    from dae_export.peers.peer_checks import peer_metrics
    from dae_export.steps.mnn_peer import MnnStep

    with pytest.raises(ExportError, match=r"^mnn int8 loses -?\d\.\d{3} dB PSNR against its fp32 \(limit -1") as exc:
        MnnStep().run(peer_context(tmp_path, max_int8_loss_db=-1.0))  # no model loses less than -1 dB
    one_line(exc)
    ctx = peer_context(tmp_path)
    nan = np.full_like(ctx.val_noisy, np.nan)
    with pytest.raises(ExportError, match=r"^mnn fp32 and Keras outputs differ by nan"):  # NaN is no pass
        peer_metrics(ctx, "mnn", nan, nan)


def test_a_converter_that_fails_is_one_line(tmp_path):
    from dae_export.peers.mnn_convert import to_mnn
    from dae_export.peers.ncnn_convert import to_ncnn

    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an ONNX model")
    with pytest.raises(ExportError, match=r"^MNN's converter \(ONNX to MNN\) failed \(no model written\): .*onnx"):
        to_mnn(bad, tmp_path / "model.mnn")
    with pytest.raises(ExportError, match=r"^pnnx \(ONNX to ncnn\) failed \(exit \d+\): ") as exc:
        to_ncnn(bad, (1, 1, 28, 28), tmp_path / "work", tmp_path / "model.ncnn.param")
    one_line(exc)


def test_a_missing_peer_package_is_one_line_before_any_work(monkeypatch, tmp_path):
    from dae_export.config import ExportConfig
    from dae_export.peers import peer_tools
    from dae_export.pipeline import run_export
    from dae_runtime.cli import main

    found = peer_tools.find_spec
    monkeypatch.setattr(peer_tools, "find_spec", lambda name: None if name == "pnnx" else found(name))
    cfg = ExportConfig(str(tmp_path / "no-model.keras"), str(tmp_path / "out"), ncnn=True)
    with pytest.raises(ExportError, match=r"^--ncnn needs pnnx, not installed here: .*pnnx==20261020$"):
        run_export(cfg)  # before the model is even read: it does not exist
    result = CliRunner().invoke(main, ["export", "--model", cfg.model, "--out", cfg.out, "--mnn", "--ncnn"])
    assert result.exit_code == 1 and result.output.startswith("Error: --ncnn needs pnnx")
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "out").exists()
