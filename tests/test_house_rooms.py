"""The house's rooms (issue 27): no import cycle, no two modules of one name in a package, and one
rule for every registry. Imports are read with ast, at any depth of a file (imports inside functions
and under TYPE_CHECKING count: a cycle that only works because an import is deferred is still one)."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = {"dae_runtime": "runtime/src", "dae_train": "train/src", "dae_export": "export/src"}


def modules(src: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of `package` under `src`."""
    found = {}
    for path in sorted((src / package).rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the modules of `mods` it imports (`from a.b import c` imports a.b.c if that is a module)."""

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
        resolved = {resolve(t) for t in targets}
        graph[name] = {t for t in resolved if t is not None and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def colliding_names(root: Path) -> list[str]:
    """Module file names used twice in one package tree, and modules beside a folder of their name."""
    files = [p for p in root.rglob("*.py") if p.name != "__init__.py"]
    twice = sorted(f"{name} x{n}" for name, n in Counter(p.name for p in files).items() if n > 1)
    beside = sorted(str(p.relative_to(root)) for p in files if p.with_suffix("").is_dir())
    return twice + [f"{b} beside its folder" for b in beside]


def test_no_import_cycle_between_the_packages_modules():
    mods = {}
    for package, src in PACKAGES.items():
        mods |= modules(REPO / src, package)
    assert len(mods) > 80
    assert cycles(import_graph(mods)) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_two_modules_of_one_name_in_a_package(package):
    assert colliding_names(REPO / PACKAGES[package] / package) == []


def test_the_checks_see_a_cycle_a_deferred_one_and_colliding_names(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.b import thing\n")
    (pkg / "b.py").write_text("def thing():\n    from pkg import c\n")  # deferred: still an edge
    (pkg / "c.py").write_text("import pkg.a\n")
    (pkg / "d.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import x\n")
    (pkg / "sub" / "a.py").write_text("")
    (pkg / "sub.py").write_text("")
    graph = import_graph(modules(tmp_path, "pkg"))
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]] and "pkg.a" in graph["pkg.d"]
    assert colliding_names(pkg) == ["a.py x2", "sub.py beside its folder"]


@pytest.fixture
def held(request):
    """(registry, a name it holds, another object) for one of the four kinds of registry."""
    from dae_export.steps import STEPS
    from dae_runtime.bench.engines import ENGINES
    from dae_runtime.sources.source_kinds import SOURCES
    from dae_train.architectures import ARCHITECTURES

    kind = request.param
    if kind == "engine":  # in-process engines: none by default, so a stand-in is held for the test
        with ENGINES.registered("standin", lambda *a: None):
            yield ENGINES, "standin", lambda *a: None
        return
    registry, name = {"architecture": (ARCHITECTURES, "seed"), "export step": (STEPS, "onnx-fp32"),
                      "camera source": (SOURCES, "v4l2")}[kind]  # fmt: skip
    yield registry, name, object()


@pytest.mark.parametrize("held", ["architecture", "export step", "engine", "camera source"], indirect=True)
def test_every_registry_refuses_a_repeated_name_the_same_way(held):
    from dae_runtime.registry import RegistryError, UnknownNameError

    registry, name, other = held
    kept = registry.get(name)
    registry.register(name, kept)  # the same object again (a module imported twice): nothing happens
    with pytest.raises(RegistryError, match=rf"^{registry.kind} '{name}' is already registered"):
        registry.register(name, other)
    assert registry.get(name) is kept
    with pytest.raises(UnknownNameError, match=rf"^unknown {registry.kind} 'nope'; choose one of .*{name}"):
        registry.get("nope")


def test_an_engine_an_installed_package_brings_cannot_be_replaced_in_process():
    from dae_runtime.bench.engines import register_engine
    from dae_runtime.registry import RegistryError

    for name in ("onnxruntime", "tflite"):
        with pytest.raises(RegistryError, match=rf"^engine '{name}' is already registered"):
            register_engine(name, lambda *a: None)
