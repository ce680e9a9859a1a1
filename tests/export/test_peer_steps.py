"""ncnn and MNN as export steps (issue 26): held to Keras like the ONNX models, refused in one line when a
package is missing, a converter fails or a model is outside its gate. The exported files themselves are
checked on the session's full export (test_export_steps.py, test_compare_engines.py)."""

from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner

from dae_export.errors import ExportError


def test_the_peers_pass_the_exports_checks(full_export):
    _, summary = full_export
    for engine in ("ncnn", "mnn"):
        assert summary.metrics[f"{engine}_fp32"]["max_abs_diff_vs_keras"] <= 1e-4
        assert summary.metrics[f"{engine}_int8"]["psnr_loss_vs_fp32_db"] <= 0.2


def one_line(exc: pytest.ExceptionInfo) -> str:
    assert "\n" not in str(exc.value) and "Traceback" not in str(exc.value)
    return str(exc.value)


def context(keras: np.ndarray, limit: float = 0.2):
    """What peer_checks reads of a step's context: the int8 limit, the quality figures against clean digits
    (here Keras' outputs plus noise: about 20 dB, as a denoiser's) and Keras."""
    from dae_runtime.metrics import quality

    clean = np.clip(keras + np.random.default_rng(1).normal(0, 0.1, keras.shape), 0, 1).astype(np.float32)
    return SimpleNamespace(cfg=SimpleNamespace(max_int8_loss_db=limit), quality=lambda y: quality(y, clean, keras))


def test_the_peer_checks_hold_fp32_to_keras_and_int8_to_its_fp32():
    from dae_export.peers.peer_checks import peer_metrics

    keras = np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)
    ctx, step = context(keras), np.float32(1 / 255)
    good = peer_metrics(ctx, "ncnn", keras + 5e-5, np.round(keras / step) * step)  # int8-like rounding
    assert good["ncnn_fp32"]["max_abs_diff_vs_keras"] <= 1e-4 and 0 < good["ncnn_int8"]["psnr_loss_vs_fp32_db"] < 0.2
    with pytest.raises(
        ExportError, match=r"^ncnn fp32 and Keras outputs differ by 2\.0\de-04 \(tolerance 1e-04\)"
    ) as exc:
        peer_metrics(ctx, "ncnn", keras + 2e-4, keras)
    one_line(exc)
    coarse = np.round(keras * 4) / 4  # 2-bit outputs: far outside any int8 gate
    with pytest.raises(
        ExportError, match=r"^mnn int8 loses \d+\.\d{3} dB PSNR against its fp32 \(limit 0\.2 dB\)"
    ) as exc:
        peer_metrics(ctx, "mnn", keras, coarse)
    one_line(exc)
    nan = np.full_like(keras, np.nan)
    with pytest.raises(ExportError, match=r"^mnn fp32 and Keras outputs differ by nan"):  # NaN is no pass
        peer_metrics(ctx, "mnn", nan, keras)
    with pytest.raises(ExportError, match=r"^mnn int8 loses nan dB"):
        peer_metrics(ctx, "mnn", keras, nan)


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
