"""The arithmetic of the live loop's count (live_loop.py): per-thread marks -> instructions per frame by stage.

Standard library only. The plugin (libinsn_threads.so) writes one line per mark:
    mark <tag> <total> <dot> <fp_mul> <int_mac> <fp16_mul> <other> <vcpu> <vcpu_total>
total: every thread's instructions so far; vcpu_total: the marking thread's own.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

# compose: process - finder - noise - model, plus the views composed where they are used ("view": the browser
# view's on the encoder's thread, the recording's on the processing thread after process).
STAGES = ("capture", "finder", "noise", "model", "compose", "encode")
BY_INDEX = ("capture", "process", "finder", "noise", "model")  # call k of these is frame k


@dataclass(frozen=True)
class Mark:
    position: int  # its line in the file: the order the marks were made in
    total: int
    vcpu: int
    own: int  # the marking thread's total


def parse(text: str) -> dict[int, Mark]:
    marks = {}
    for position, line in enumerate(text.splitlines()):
        parts = line.split()
        if len(parts) == 10 and parts[0] == "mark" and parts[1].isdigit():
            marks[int(parts[1])] = Mark(position, int(parts[2]), int(parts[8]), int(parts[9]))
    return marks


def mark_cost(marks: dict[int, Mark], pairs: list[list[int]]) -> float:
    """Instructions of one mark itself (two made back to back, median over the pairs)."""
    return statistics.median(marks[b].own - marks[a].own for a, b in pairs)


def _own_marks(marks: dict[int, Mark], start: Mark, end: Mark) -> int:
    """Marks made by `start`'s thread after `start`, up to and including `end`."""
    return sum(1 for m in marks.values() if m.vcpu == start.vcpu and start.position < m.position <= end.position)


def net(marks: dict[int, Mark], call: list[int], cost: float) -> float:
    """A bracketed call's own instructions on its thread, without the marks made inside it (its own end
    mark, and the inner stages' marks)."""
    start, end = marks[call[0]], marks[call[1]]
    return end.own - start.own - cost * _own_marks(marks, start, end)


def per_frame(marks: dict[int, Mark], stages: dict, window_frames: tuple[int, int]) -> dict[str, float]:
    """Instructions per frame over frames [first, first + n): the whole loop (every thread) and each stage.

    stages: guest_live.py's STAGES.json. Capture, process and the stages inside it are taken by frame
    index; the encoder's calls (and the views composed for it) by the window (the browser view encodes the newest
    view, not each one), the recording's by index.
    """
    first, n = window_frames
    cost = mark_cost(marks, stages["mark_pairs"])
    start, end = (marks[t] for t in stages["window"])
    inside = sum(1 for m in marks.values() if start.position < m.position <= end.position)
    result = {"total": (end.total - start.total - cost * inside) / n}
    calls = stages["stages"]
    for stage in BY_INDEX:
        chosen = calls.get(stage, [])[first : first + n]
        result[stage] = sum(net(marks, c, cost) for c in chosen) / n

    def after_frames(stage: str) -> list:
        if stages.get("encode_by_index"):
            return calls.get(stage, [])[first : first + n]
        return [c for c in calls.get(stage, []) if start.position < marks[c[0]].position < end.position]

    chosen = after_frames("encode")
    result["encode"] = sum(net(marks, c, cost) for c in chosen) / n
    result["encoded_per_frame"] = len(chosen) / n
    views = sum(net(marks, c, cost) for c in after_frames("view")) / n
    result["compose"] = result.pop("process") - result["finder"] - result["noise"] - result["model"] + views
    result["other"] = result["total"] - sum(result[s] for s in STAGES)
    result["mark_cost"] = cost
    return result
