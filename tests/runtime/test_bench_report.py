"""github-action-benchmark entries carry their spread and machine; the machine names its kernel features."""

from dae_runtime.bench.report import github_benchmark
from dae_runtime.bench.runner import cpu_features

X86_CPUINFO = "processor\t: 0\nmodel name\t: Xeon\nflags\t\t: fpu sse2 avx2 avx512f avx512_vnni amx_int8 erms\n"
PI5_CPUINFO = (
    "processor\t: 0\nFeatures\t: fp asimd evtstrm crc32 cpuid asimdrdm lrcpc dcpop asimddp\nCPU part\t: 0xd0b\n"
)


def result():
    machine = {"cpu": "Xeon", "machine": "x86_64", "cores": 2, "threads": None, "python": "3.11.2",
               "cpu_features": ["avx2", "avx512_vnni"], "versions": {"onnxruntime": "1.32.0"}}  # fmt: skip
    rows = [
        {"engine": "onnxruntime", "precision": "int8", "batch": 1, "p50_ms": 0.05, "p90_ms": 0.0625},
        {"engine": "tflite", "precision": "fp32", "batch": 64, "p50_ms": 2.0, "p90_ms": 1.9},
    ]
    return {"machine": machine, "results": rows}


def test_entries_have_range_and_extra():
    entries = github_benchmark(result())
    assert [e["name"] for e in entries] == ["onnxruntime int8 batch 1 p50", "tflite fp32 batch 64 p50"]
    assert entries[0]["value"] == 0.05 and entries[0]["range"] == "+0.0125 (p90)"
    assert entries[1]["range"] == "+0.0000 (p90)"  # never a negative spread
    extra = entries[0]["extra"]
    assert "Xeon" in extra and "x86_64" in extra and "avx2,avx512_vnni" in extra and "onnxruntime 1.32.0" in extra


def test_entries_without_machine_info_still_form():
    r = result()
    del r["machine"]
    assert "unknown CPU" in github_benchmark(r)[0]["extra"]


def test_cpu_features_from_cpuinfo():
    assert cpu_features(X86_CPUINFO) == ["amx_int8", "avx2", "avx512_vnni", "avx512f"]
    assert cpu_features(PI5_CPUINFO) == ["asimd", "asimddp"]
    assert cpu_features("processor\t: 0\n") is None
