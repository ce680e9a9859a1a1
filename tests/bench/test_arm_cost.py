"""The ARM cost benchmark's host side: the Pi's /proc/cpuinfo, the plugin's marks, the arithmetic, the table,
and one clear line when it cannot run. (The emulated run itself is `make arm-cost`, a benchmark.)"""

import importlib.util
import sys
from pathlib import Path

RUN = Path(__file__).parents[2] / "benchmarks" / "arm_cost" / "run.py"
spec = importlib.util.spec_from_file_location("arm_cost_run", RUN)
arm_cost = importlib.util.module_from_spec(spec)
sys.modules["arm_cost_run"] = arm_cost
spec.loader.exec_module(arm_cost)
report = sys.modules["report"]  # run.py's table module, imported by it from benchmarks/arm_cost


def test_cpuinfo_is_raspberry_pi_style():
    a72, a76 = arm_cost.cpuinfo_text("cortex-a72"), arm_cost.cpuinfo_text("cortex-a76")
    for text, part in ((a72, "0xd08"), (a76, "0xd0b")):
        assert text.count("processor\t:") == 4
        assert text.count("CPU implementer\t: 0x41") == 4 and text.count("CPU architecture: 8") == 4
        assert text.count(f"CPU part\t: {part}") == 4
    assert "asimddp" in a76 and "asimddp" not in a72  # dot product on the Pi 5 only


MARKS = """mark 1 1000 0 10 0 0 990
mark 2 21000 400 2010 100 80 18410
mark 3 21050 400 2010 100 80 18460
mark 4 21090 400 2010 100 80 18500
mark exit 30000 400 2010 100 80 27410
mark 5 1 2 3 4 5
"""


def test_per_inference_subtracts_the_empty_loop():
    marks = arm_cost.parse_marks(MARKS)
    assert marks["2"] == {"total": 21000, "dot": 400, "fp_mul": 2010, "int_mac": 100, "fp16_mul": 80, "other": 18410}
    assert "5" not in marks  # a line of the old format (no fp16 column) is not read as the new one
    tags = {"n_start": 1, "n_end": 2, "zero_start": 3, "zero_end": 4}
    per = arm_cost.per_inference(marks, tags, runs=4)
    assert per["total"] == (20000 - 40) / 4
    assert per["dot"] == 100 and per["fp_mul"] == 500 and per["int_mac"] == 25 and per["fp16_mul"] == 20


def test_markdown_table_and_breakdown():
    rows = [
        {"engine": e, "precision": "int8", "batch": 1, "cpu": c,
         "per_inference": {"total": t, "dot": t / 2 if c == "cortex-a76" else 0, "fp_mul": 0, "int_mac": 0,
                           "fp16_mul": 0, "other": t / 2 if c == "cortex-a76" else t}}
        for e, c, t in (("onnxruntime", "cortex-a72", 2_071_765), ("onnxruntime", "cortex-a76", 1_087_939),
                        ("litert", "cortex-a72", 2_641_609))
    ]  # fmt: skip
    result = {"cpus": ["cortex-a72", "cortex-a76"], "qemu": "7.2.x", "date": "2026-11-26", "models_dir": "m",
              "guest": "g", "results": rows}  # fmt: skip
    text = arm_cost.markdown(result)
    assert "| onnxruntime | int8 | 1 | 2,071,765 | 1,087,939 |" in text
    assert "| litert | int8 | 1 | 2,641,609 | - |" in text
    assert "| onnxruntime | int8 | 1 | cortex-a76 | 50.0 % |" in text


def test_not_root_is_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(arm_cost.os, "geteuid", lambda: 1000)
    assert arm_cost.main(["--json", str(tmp_path / "a.json"), "--markdown", str(tmp_path / "a.md")]) == 2
    assert not list(tmp_path.iterdir())  # nothing written
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("arm-cost: cannot run: needs root (apt-get for the QEMU build, chroot and mount")
    assert len([line for line in err if "cannot run" in line]) == 1


def test_missing_models_is_one_line(tmp_path, capsys):
    assert arm_cost.main(["--models", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip().startswith(f"arm-cost: no models in {tmp_path}")


def test_the_bundles_own_onnx_models_are_counted(tmp_path):
    """--target rpi puts ARM forms of the ONNX models in rpi-bundle.tar.gz: those are what a Pi runs."""
    import io
    import tarfile

    folder, dest = tmp_path / "export", tmp_path / "unpacked"
    folder.mkdir(), dest.mkdir()
    for name in ("model.onnx", "model.int8.onnx", "model.tflite", "model.int8.tflite"):
        (folder / name).write_bytes(b"x86 " + name.encode())
    with tarfile.open(folder / "rpi-bundle.tar.gz", "w:gz") as tar:
        for name in ("model.onnx", "model.int8.onnx", "golden.npz"):
            data = b"arm " + name.encode()
            member = tarfile.TarInfo(f"dae-edge-rpi/{name}")
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    paths = arm_cost.bundle_models(folder, dest)
    assert set(paths) == {"model.onnx", "model.int8.onnx", "model.tflite", "model.int8.tflite"}
    assert paths["model.onnx"].read_bytes() == b"arm model.onnx" and paths["model.onnx"].parent == dest
    assert paths["model.int8.onnx"].read_bytes() == b"arm model.int8.onnx"
    assert paths["model.tflite"] == folder / "model.tflite"
    (folder / "rpi-bundle.tar.gz").unlink()
    assert arm_cost.bundle_models(folder, dest)["model.onnx"] == folder / "model.onnx"


def test_peers_are_optional_and_fp16_only_on_the_a76(tmp_path):
    for name in ("model.ncnn.param", "model.mnn", "model.int8.mnn"):
        (tmp_path / name).write_bytes(b"x")
    models = arm_cost.peer_models(tmp_path, set())
    keys = [(m["engine"], m["precision"]) for m in models]
    assert keys == [("ncnn", "fp32"), ("ncnn", "fp16"), ("mnn", "fp32"), ("mnn", "fp16"), ("mnn", "int8")]
    assert all(m.get("cpus") == ["cortex-a76"] for m in models if m["precision"] == "fp16")
    assert all("cpus" not in m for m in models if m["precision"] != "fp16")
    assert arm_cost.peer_models(tmp_path / "absent", set()) == []  # no peers: the bundle alone is counted
    assert [m["precision"] for m in arm_cost.peer_models(tmp_path, {("mnn", "int8")})] == ["int8"]
    extra = arm_cost.extra_onnx(["fp16-dec=/x/a.onnx", "int8-dec=/x/b.onnx"], "raw")
    assert [(m["precision"], m.get("cpus"), m["call"]) for m in extra] == [
        ("fp16-dec", ["cortex-a76"], "raw"), ("int8-dec", None, "raw")
    ]  # fmt: skip


def test_target_table_names_the_best_form_of_each_side():
    def row(engine, precision, cpu, total):
        return {"engine": engine, "precision": precision, "batch": 1, "cpu": cpu, "per_inference": {"total": total}}

    result = {"cpus": ["cortex-a72", "cortex-a76"], "results": [
        row("onnxruntime", "fp32", "cortex-a72", 2_800_000), row("onnxruntime", "int8", "cortex-a72", 1_400_000),
        row("ncnn", "int8", "cortex-a72", 1_540_000), row("litert", "fp32", "cortex-a72", 2_300_000),
        row("onnxruntime", "int8", "cortex-a76", 1_030_000), row("litert", "int8", "cortex-a76", 1_040_000),
    ]}  # fmt: skip
    cells = {c["cpu"]: c for c in report.best_forms(result)}
    assert cells["cortex-a72"]["ours"]["precision"] == "int8" and cells["cortex-a72"]["peer"]["engine"] == "ncnn"
    assert round(cells["cortex-a72"]["ratio"], 3) == 0.909 and not cells["cortex-a72"]["met"]  # 0.909 > 0.9
    assert not cells["cortex-a76"]["met"]  # 0.99x: ahead, but not by the 0.9x the issue asks
    text = "\n".join(report.target_lines(result))
    assert "| cortex-a72 | 1 | int8 1,400,000 | ncnn int8 1,540,000 | 0.909 | no |" in text
    assert "| cortex-a76 | 1 | int8 1,030,000 | litert int8 1,040,000 | 0.990 | no |" in text


def test_the_int8_variant_is_what_counts_where_the_runtime_loads_it(tmp_path):
    """The bundle's int8 for the dot product is counted on the CPUs that have it (the A76), and there the int8
    file it replaces is counted but not taken as onnxruntime's best: the runtime does not load it there."""
    paths = {n: tmp_path / n for n in ("model.int8.onnx", "model.int8.asimddp.onnx")}
    generic = arm_cost.onnx_model("onnxruntime", "int8", "model.int8.onnx", paths, "denoiser")
    variant = arm_cost.onnx_model("onnxruntime", "int8-asimddp", "model.int8.asimddp.onnx", paths, "denoiser")
    assert variant["cpus"] == ["cortex-a76"] and generic["replaced_on"] == ["cortex-a76"] and "cpus" not in generic
    alone = arm_cost.onnx_model("onnxruntime", "int8", "model.int8.onnx", {"model.int8.onnx": paths["model.int8.onnx"]},
                                "denoiser")  # fmt: skip
    assert "replaced_on" not in alone  # a bundle without the variant: its int8 is what every CPU loads

    def row(precision, total, replaced=False, engine="onnxruntime"):
        per = {"total": total} | dict.fromkeys(report.CLASSES, total / 5)
        return {"engine": engine, "precision": precision, "batch": 1, "cpu": "cortex-a76", "replaced": replaced,
                "per_inference": per}  # fmt: skip

    rows = [row("int8", 900_000, replaced=True), row("int8-asimddp", 950_000), row("int8", 1_000_000, engine="litert")]
    result = {"cpus": ["cortex-a76"], "results": rows, "qemu": "7.2", "date": "d", "models_dir": "m", "guest": "g"}
    (cell,) = report.best_forms(result)
    assert cell["ours"]["precision"] == "int8-asimddp" and round(cell["ratio"], 2) == 0.95
    assert "| onnxruntime | int8 | 1 | 900,000 \\* |" in arm_cost.markdown(result)
