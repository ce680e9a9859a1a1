"""pi-check's results: each step's outcome, each CPU's figures, and the Markdown tables of the report."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Step:
    name: str
    ok: bool
    seconds: float
    detail: str = ""


@dataclass
class CpuResult:
    cpu: str
    python: str = ""
    hwcap: dict = field(default_factory=dict)
    opencv: str = ""
    libgl_present: bool | None = None
    steps: list[Step] = field(default_factory=list)
    figures: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)


def last_line(output: str) -> str:
    lines = [ln for ln in output.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


def _sci(x) -> str:
    return "-" if x is None else f"{x:.1e}"


def markdown(report: dict) -> str:
    """The report as two Markdown tables: each step's status and time, then the figures."""
    cpus = report["cpus"]
    names = list(cpus)
    lines = ["| step (seconds, emulated) | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    steps = [s["name"] for s in cpus[names[0]]["steps"]] if names else []
    for i, step in enumerate(steps):
        cells = []
        for cpu in names:
            s = cpus[cpu]["steps"][i]
            cells.append(f"{s['seconds']:.0f}" + ("" if s["ok"] else " FAILED"))
        lines.append(f"| {step} | " + " | ".join(cells) + " |")
    lines += ["", "| figure | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    rows = [
        ("Python", lambda c: c["python"]),
        ("OpenCV installed (libGL present)", lambda c: f"{c['opencv']} ({'yes' if c['libgl_present'] else 'no'})"),
        ("fp32 PSNR dB (golden digits)", lambda c: f"{c['figures'].get('fp32_psnr_db', '-')}"),
        ("fp32 max abs diff vs Keras", lambda c: _sci(c["figures"].get("fp32_max_abs_diff_vs_keras"))),
        ("fp32 max abs diff vs x86", lambda c: _sci(c["figures"].get("fp32_max_abs_diff_vs_x86"))),
        ("int8 PSNR loss vs fp32, dB", lambda c: f"{c['figures'].get('int8_psnr_loss_db', '-')}"),
        ("int8 outputs identical to x86", lambda c: f"{c['figures'].get('int8_identical_to_x86', '-')}"),
        ("int8 file the runtime loads", lambda c: f"{c['figures'].get('int8_file_loaded', '-')}"),
        ("int8 asimddp identical to x86", lambda c: str(c["figures"].get("int8_asimddp_identical_to_x86", "-"))),
    ]
    for label, cell in rows:
        try:
            lines.append(f"| {label} | " + " | ".join(cell(cpus[c]) for c in names) + " |")
        except (KeyError, TypeError):
            continue
    return "\n".join(lines) + "\n"


def one_clear_line(code: int, output: str) -> bool:
    """An expected failure (no display) reaches the user as one line and exit 1 or 2, never a traceback."""
    lines = [ln for ln in output.splitlines() if ln.strip()]
    return code in (1, 2) and len(lines) == 1 and "Traceback" not in output
