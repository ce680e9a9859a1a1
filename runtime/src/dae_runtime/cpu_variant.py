"""Which of an export's model files suits this CPU: the Pi bundle carries two int8 files, because no one int8
graph is cheapest on both Pi CPUs (benchmarks/README.md, "ncnn and MNN"). model.int8.onnx is for any CPU;
the manifest entry of model.int8.asimddp.onnx says

    "variant_of": "model.int8.onnx", "cpu_features": ["asimddp"]

and a Denoiser asked for model.int8.onnx on a CPU whose /proc/cpuinfo lists every one of those features (a
Pi 5's Cortex-A76 has the dot product, `asimddp`; a Pi 4's Cortex-A72 does not) loads the variant instead.
Read once, at model load; without a manifest, a readable /proc/cpuinfo or a matching entry, the file is
loaded as named.
"""

from __future__ import annotations

from pathlib import Path

from dae_runtime.manifest import MANIFEST_FILE, ManifestError, load_manifest

CPUINFO = Path("/proc/cpuinfo")


def cpu_flags(cpuinfo: str | None = None) -> set[str] | None:
    """The CPU's feature flags ("flags" on x86, "Features" on ARM) from /proc/cpuinfo, or from `cpuinfo`;
    None when there are none to read (not Linux, or a kernel that hides them)."""
    if cpuinfo is None:
        try:
            cpuinfo = CPUINFO.read_text(errors="replace")
        except OSError:
            return None
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            flags.update(value.split())
    return flags or None


def variant_for_cpu(path: Path, cpuinfo: str | None = None) -> tuple[Path, list[str]]:
    """(the file to load instead of `path` on this CPU, the features it was chosen for); (path, []) if none."""
    if not (path.parent / MANIFEST_FILE).is_file():
        return path, []
    try:
        files = load_manifest(path.parent)["files"]
    except ManifestError:
        return path, []  # the Denoiser's own manifest check refuses such a folder; nothing to choose here
    flags = None
    for name in sorted(files):
        entry = files[name]
        needs = entry.get("cpu_features")
        if entry.get("variant_of") != path.name or not isinstance(needs, list) or not needs:
            continue
        if Path(name).name != name or not all(isinstance(f, str) for f in needs):
            continue  # a path, not a file beside the model; or features that are not flags
        flags = cpu_flags(cpuinfo) if flags is None else flags
        if flags is not None and set(needs) <= flags and (path.parent / name).is_file():
            return path.parent / name, needs
    return path, []
