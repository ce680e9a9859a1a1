"""The Pi bundle's int8 for CPUs with the dot product: the runtime loads it in model.int8.onnx's place where
/proc/cpuinfo lists `asimddp` (a Pi 5), and the file as named everywhere else (a Pi 4, x86), on a fake cpuinfo."""

import json
import shutil

import pytest
from click.testing import CliRunner

from dae_runtime import cpu_variant
from dae_runtime.manifest import sha256_file
from dae_runtime.shipped import default_model_path

PI4 = "processor\t: 0\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU part\t: 0xd08\n"
PI5 = "processor\t: 0\nFeatures\t: fp asimd evtstrm aes crc32 atomics fphp asimdhp cpuid asimdrdm asimddp\n"
X86 = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_vnni\n"
VARIANT = "model.int8.asimddp.onnx"


@pytest.fixture
def bundle(tmp_path):
    """A folder like the Pi bundle: model.int8.onnx and its variant for asimddp (here the shipped fp32 model,
    so which one was loaded shows), each in the manifest with its sha256."""
    shutil.copy2(default_model_path("int8"), tmp_path / "model.int8.onnx")
    shutil.copy2(default_model_path("fp32"), tmp_path / VARIANT)
    files = {n: {"sha256": sha256_file(tmp_path / n), "engine": "onnxruntime", "precision": "int8"}
             for n in ("model.int8.onnx", VARIANT)}  # fmt: skip
    files[VARIANT] |= {"variant_of": "model.int8.onnx", "cpu_features": ["asimddp"]}
    (tmp_path / "manifest.json").write_text(json.dumps({"files": files}))
    return tmp_path


def test_cpu_flags_read_x86_and_arm_cpuinfo():
    assert {"avx2", "avx512_vnni"} <= cpu_variant.cpu_flags(X86)
    assert "asimddp" in cpu_variant.cpu_flags(PI5) and "asimddp" not in cpu_variant.cpu_flags(PI4)
    assert cpu_variant.cpu_flags("processor\t: 0\n") is None


def test_the_variant_is_chosen_only_where_the_cpu_has_its_features(bundle):
    base = bundle / "model.int8.onnx"
    assert cpu_variant.variant_for_cpu(base, PI5) == (bundle / VARIANT, ["asimddp"])
    assert cpu_variant.variant_for_cpu(base, PI4) == (base, [])
    assert cpu_variant.variant_for_cpu(base, X86) == (base, [])
    assert cpu_variant.variant_for_cpu(base, "processor\t: 0\n") == (base, [])  # features unknown: as named
    assert cpu_variant.variant_for_cpu(bundle / VARIANT, PI5) == (bundle / VARIANT, [])  # no variant of its own


@pytest.mark.parametrize("change", ["missing file", "a path", "features not a list", "no manifest"])
def test_a_variant_that_does_not_hold_up_leaves_the_file_as_named(bundle, change):
    manifest = json.loads((bundle / "manifest.json").read_text())
    entry = manifest["files"].pop(VARIANT)
    name = {"a path": "../" + VARIANT}.get(change, VARIANT)
    manifest["files"][name] = entry | ({"cpu_features": "asimddp"} if change == "features not a list" else {})
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    if change == "missing file":
        (bundle / VARIANT).unlink()
    if change == "no manifest":
        (bundle / "manifest.json").unlink()
    assert cpu_variant.variant_for_cpu(bundle / "model.int8.onnx", PI5) == (bundle / "model.int8.onnx", [])


def test_the_denoiser_loads_the_variant_on_a_pi5_and_says_so(bundle, tmp_path, monkeypatch):
    from dae_runtime.cli import main
    from dae_runtime.denoiser import Denoiser

    cpuinfo = tmp_path / "cpuinfo"
    monkeypatch.setattr(cpu_variant, "CPUINFO", cpuinfo)
    for text, loaded, precision in ((PI5, VARIANT, "fp32"), (PI4, "model.int8.onnx", "int8")):
        cpuinfo.write_text(text)
        d = Denoiser(bundle / "model.int8.onnx")
        assert (d.path.name, d.requested.name, d.precision) == (loaded, "model.int8.onnx", precision)
    cpuinfo.write_text(PI5)
    assert Denoiser(bundle / "model.int8.onnx", for_this_cpu=False).path.name == "model.int8.onnx"
    import cv2
    import numpy as np

    cv2.imwrite(str(tmp_path / "digit.png"), np.zeros((28, 28), np.uint8))
    args = ["denoise", str(tmp_path / "digit.png"), "--model", str(bundle / "model.int8.onnx"), "--out"]
    result = CliRunner().invoke(main, [*args, str(tmp_path / "out")])
    assert result.exit_code == 0 and f"model.int8.onnx: using {VARIANT}, its variant for this CPU's asimddp" in (
        result.output
    )
    (bundle / VARIANT).write_bytes((bundle / VARIANT).read_bytes()[:-1] + b"\0")  # its sha256 no longer matches
    result = CliRunner().invoke(main, [*args, str(tmp_path / "out2")])
    assert result.exit_code == 1 and f"{VARIANT} does not match the sha256" in result.output


def test_compare_measures_the_file_this_cpu_loads_once(bundle, tmp_path, monkeypatch):
    from dae_runtime.bench.engines import discover

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(PI5)
    monkeypatch.setattr(cpu_variant, "CPUINFO", cpuinfo)
    engines = discover(bundle, None, 1).engines
    assert [(e.path.name, e.precision) for e in engines] == [(VARIANT, "fp32")]  # the variant, in its base's row
