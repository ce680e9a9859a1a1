"""Measure every engine in one process, interleaved, so their ratios hold on a noisy machine."""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass
from functools import partial

import numpy as np

from dae_runtime.bench.engines import Engine
from dae_runtime.bench.timing import Samples, take_turns, time_calls, warm_up
from dae_runtime.metrics import quality


@dataclass
class BenchConfig:
    batches: tuple[int, ...] = (1, 64, 256)
    warmup: int = 10  # calls per engine and batch before timing
    iters: int = 200  # timed calls per engine at batch 1; fewer for big batches (see iters_for)
    rounds: int = 5  # the timed calls are split into rounds, engines taking turns
    # Pause before each turn, so the previous engine's spinning threads stop (bench/timing.py).
    # A deployed engine runs alone, so this measures each one as it would run.
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
    from dae_runtime.cpu_variant import cpu_flags

    flags = cpu_flags(cpuinfo)
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
    scores: dict[str, dict] = {name: quality(out, clean, reference) for name, out in outputs.items()}
    for score in scores.values():
        score.setdefault("max_abs_diff_vs_keras", None)  # no reference: the column stays, empty
    return scores


def _warm_up(engines: list[Engine], x: np.ndarray, calls: int, memory: dict[str, float]) -> None:
    """`calls` untimed calls per engine, noting how much each grows the process (its buffers)."""
    for e in engines:
        before = _rss_mb()
        warm_up(partial(e.run, x), calls)
        memory[e.name] = max(memory.get(e.name, 0.0), _rss_mb() - before)


def _row(e: Engine, batch: int, samples: Samples, scores: dict, memory: float) -> dict:
    p50, p90, p99 = samples.percentiles_ms(50, 90, 99)
    return {
        **({"model": e.model} if e.model else {}),
        "engine": e.engine, "precision": e.precision, "batch": batch,
        "p50_ms": p50, "p90_ms": p90, "p99_ms": p99,
        "throughput_ips": float(batch / (p50 / 1e3)),
        **scores,
        "model_bytes": e.model_bytes,
        "rss_growth_mb": round(memory, 1),
        "samples": len(samples.wall_s),
    }  # fmt: skip


def _time_also(e: Engine, x: np.ndarray, notes: dict) -> None:
    """The engine's other ways to call the model, three calls each, as notes."""
    for how, call in e.also_timed.items():
        calls = time_calls(partial(call, x), 3)
        notes[f"{e.engine} {how} batch {len(x)} ms"] = round(calls.total_s / 3 * 1e3, 3)


def run_benchmark(engines: list[Engine], noisy: np.ndarray, clean: np.ndarray, reference: np.ndarray | None,
                  cfg: BenchConfig, tick=lambda: None) -> dict:  # fmt: skip
    """The compare JSON: machine, results rows (engine, precision, batch, latencies, accuracy, size)."""
    scores = accuracy(engines, noisy, clean, reference)
    memory: dict[str, float] = {}
    rows: list[dict] = []
    notes: dict[str, float] = {}
    for batch in cfg.batches:
        x = np.ascontiguousarray(np.resize(noisy, (batch, *noisy.shape[1:])), np.float32)
        _warm_up(engines, x, cfg.warmup, memory)
        per_round = max(1, iters_for(batch, cfg.iters) // cfg.rounds)
        cases = {e.name: partial(e.run, x) for e in engines}
        samples = take_turns(cases, cfg.rounds, per_round, cfg.settle_s, tick)
        for e in engines:
            rows.append(_row(e, batch, samples[e.name], scores[e.name], memory[e.name]))
            _time_also(e, x, notes)
    return {"machine": machine_info(cfg.threads), "config": cfg.__dict__ | {"batches": list(cfg.batches)},
            "digits": len(noisy), "results": rows, "notes": notes}  # fmt: skip
