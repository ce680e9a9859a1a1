"""Measure every engine in one process, interleaved, so their ratios hold on a noisy machine."""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass

import numpy as np

from dae_runtime.bench.engines import Engine
from dae_runtime.metrics import psnr, ssim


@dataclass
class BenchConfig:
    batches: tuple[int, ...] = (1, 64, 256)
    warmup: int = 10  # calls per engine and batch before timing
    iters: int = 200  # timed calls per engine at batch 1; fewer for big batches (see iters_for)
    rounds: int = 5  # the timed calls are split into rounds, engines taking turns
    # Pause before each turn, then one untimed call: the previous engine's idle threads stop
    # spinning first (XNNPACK's pthreadpool and onnxruntime both busy-wait after a call; measured
    # here, a turn right after another engine's ran up to 3x slower on 2 cores). A deployed
    # engine runs alone, so this measures each one as it would run.
    settle_s: float = 0.25
    threads: int | None = None


def iters_for(batch: int, iters: int) -> int:
    """Keep the work per engine and batch roughly constant, with at least 10 samples."""
    return max(10, iters // max(1, batch // 8))


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return float("nan")


# The CPU features the engines' int8/fp32 kernels choose by (x86 /proc/cpuinfo "flags", ARM "Features"):
# the gate enforces engine-vs-engine ratios only on CPUs with the features they were validated on.
KERNEL_FEATURES = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8", "asimd", "asimddp", "i8mm", "sve", "bf16")


def cpu_features(cpuinfo: str | None = None) -> list[str] | None:
    """The KERNEL_FEATURES this CPU has, from /proc/cpuinfo; None when it cannot be read (not Linux)."""
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo") as f:
                cpuinfo = f.read()
        except OSError:
            return None
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            flags.update(value.split())
    return sorted(f for f in KERNEL_FEATURES if f in flags) if flags else None


def machine_info(threads: int | None) -> dict:
    from dae_runtime.versions import package_versions

    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    versions = package_versions("onnxruntime", "numpy", "tensorflow", "keras", "ai-edge-litert", "dae-edge-runtime")
    return {
        "cpu": cpu,
        "cpu_features": cpu_features(),
        "cores": os.cpu_count(),
        "threads": threads,
        "machine": platform.machine(),
        "python": versions.pop("python"),
        "versions": versions,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def accuracy(engines: list[Engine], noisy: np.ndarray, clean: np.ndarray, reference: np.ndarray | None) -> dict:
    """PSNR/SSIM against clean digits and max abs diff against Keras (or its stored outputs)."""
    outputs = {e.name: e.run(noisy) for e in engines}
    if "keras fp32" in outputs:
        reference = outputs["keras fp32"]
    result = {}
    for name, out in outputs.items():
        diff = float(np.abs(out - reference).max()) if reference is not None else None
        result[name] = {"psnr_db": psnr(out, clean), "ssim": ssim(out, clean), "max_abs_diff_vs_keras": diff}
    return result


def run_benchmark(engines: list[Engine], noisy: np.ndarray, clean: np.ndarray, reference: np.ndarray | None,
                  cfg: BenchConfig, tick=lambda: None) -> dict:  # fmt: skip
    """The compare JSON: machine, results rows (engine, precision, batch, latencies, accuracy, size)."""
    quality = accuracy(engines, noisy, clean, reference)
    memory = {}
    rows, notes = [], {}
    for batch in cfg.batches:
        x = np.ascontiguousarray(np.resize(noisy, (batch, *noisy.shape[1:])), np.float32)
        for e in engines:
            before = _rss_mb()
            for _ in range(cfg.warmup):
                e.run(x)
            memory[e.name] = max(memory.get(e.name, 0.0), _rss_mb() - before)
        n = iters_for(batch, cfg.iters)
        per_round = max(1, n // cfg.rounds)
        samples: dict[str, list[float]] = {e.name: [] for e in engines}
        for _ in range(cfg.rounds):
            for e in engines:  # engines take turns: a busy spell on the machine hits all of them
                time.sleep(cfg.settle_s)
                e.run(x)
                for _ in range(per_round):
                    t0 = time.perf_counter()
                    e.run(x)
                    samples[e.name].append(time.perf_counter() - t0)
                tick()
        for e in engines:
            p50, p90, p99 = np.percentile(np.array(samples[e.name]) * 1e3, [50, 90, 99])
            rows.append({
                "engine": e.engine, "precision": e.precision, "batch": batch,
                "p50_ms": float(p50), "p90_ms": float(p90), "p99_ms": float(p99),
                "throughput_ips": float(batch / (p50 / 1e3)),
                **quality[e.name],
                "model_bytes": e.model_bytes,
                "rss_growth_mb": round(memory[e.name], 1),
                "samples": len(samples[e.name]),
            })  # fmt: skip
            if hasattr(e, "predict"):
                t0 = time.perf_counter()
                for _ in range(3):
                    e.predict(x)
                notes[f"keras predict() batch {batch} ms"] = round((time.perf_counter() - t0) / 3 * 1e3, 3)
    return {"machine": machine_info(cfg.threads), "config": cfg.__dict__ | {"batches": list(cfg.batches)},
            "digits": len(noisy), "results": rows, "notes": notes}  # fmt: skip
