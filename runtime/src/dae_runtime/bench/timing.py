"""The one timing loop of dae-edge: cases take turns, so a busy spell on the machine hits them all.

`dae compare`, `dae compare --golden` and the benchmarks scripts all time through `take_turns`:
each turn starts after an optional pause and one untimed call, then times each call on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Samples:
    wall_s: list[float] = field(default_factory=list)  # one per timed call
    cpu_s: float = 0.0  # this thread's CPU time over the timed calls (steadier than the wall clock)

    def percentiles_ms(self, *percents: float) -> list[float]:
        return [float(v) for v in np.percentile(np.array(self.wall_s) * 1e3, percents)]

    @property
    def p50_ms(self) -> float:
        return float(np.median(self.wall_s) * 1e3)

    @property
    def total_s(self) -> float:
        return float(sum(self.wall_s))


def warm_up(call: Callable[[], object], calls: int) -> None:
    for _ in range(calls):
        call()


def take_turns(cases: Mapping[str, Callable[[], object]], rounds: int, calls_per_round: int, settle_s: float = 0.0,
               tick: Callable[[], None] = lambda: None) -> dict[str, Samples]:  # fmt: skip
    """Time `calls_per_round` calls of each case per round, the cases taking turns for `rounds` rounds.

    Before each turn: a pause of `settle_s` (the previous case's idle threads stop spinning: XNNPACK's
    pthreadpool and onnxruntime both busy-wait after a call; measured here, a turn right after another
    engine's ran up to 3x slower on 2 cores), then one untimed call that wakes this case's threads.
    `tick` is called after every turn (a progress bar).
    """
    samples = {name: Samples() for name in cases}
    for _ in range(rounds):
        for name, call in cases.items():
            if settle_s:
                time.sleep(settle_s)
            call()
            into = samples[name]
            cpu_started = time.thread_time()
            for _ in range(calls_per_round):
                started = time.perf_counter()
                call()
                into.wall_s.append(time.perf_counter() - started)
            into.cpu_s += time.thread_time() - cpu_started
            tick()
    return samples


def time_calls(call: Callable[[], object], calls: int) -> Samples:
    """`calls` timed calls of one case, after one untimed call."""
    return take_turns({"": call}, rounds=1, calls_per_round=calls)[""]
