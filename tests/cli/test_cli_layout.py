"""The `dae` command line's shape: one module per command, shared things in cli.options/cli.types only."""

import ast
from pathlib import Path

import dae_runtime.cli

CLI_DIR = Path(dae_runtime.cli.__file__).parent
SHARED = {"options", "types", "lazy"}  # what a command module may import from the cli package


def _cli_imports(path: Path) -> set[str]:
    """The dae_runtime.cli submodules `path` imports, at any depth of the file (lazy imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:  # from . import x, from .x import y
            found |= {node.module.split(".")[0]} if node.module else {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            found |= {name.split(".")[2] for name in names if name.startswith("dae_runtime.cli.")}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[2] for a in node.names if a.name.startswith("dae_runtime.cli.")}
    return found


def test_command_modules_import_only_the_shared_modules():
    commands = [p for p in CLI_DIR.glob("*.py") if p.stem not in SHARED | {"__init__"}]
    assert {p.stem for p in commands} >= {"denoise", "live", "compare", "verify"}
    for path in commands:
        sideways = _cli_imports(path) - SHARED
        assert not sideways, f"cli/{path.name} imports cli.{sorted(sideways)}: share it through cli/options.py"


def test_shared_modules_import_no_command_module():
    for stem in SHARED:
        assert _cli_imports(CLI_DIR / f"{stem}.py") <= SHARED, stem


def test_the_old_flat_modules_are_gone():
    package = CLI_DIR.parent
    old = ["cli.py", "lazy_group.py", "cli_types.py"]
    old += ["denoise_cli.py", "live_cli.py", "compare_cli.py", "verify_cli.py"]
    assert [name for name in old if (package / name).exists()] == []


def test_shell_completion_as_the_readme_documents_it():
    """README: eval "$(_DAE_COMPLETE=bash_source dae)"; click completes commands (lazy ones too) and options."""
    import os
    import subprocess
    import sys

    def complete(words: str) -> list[str]:
        cword = str(len(words.split(" ")) - 1)
        env = {**os.environ, "_DAE_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": cword}
        script = [sys.executable, "-c", "from dae_runtime.cli import main; main(prog_name='dae')"]
        run = subprocess.run(script, env=env, capture_output=True, text=True, timeout=60)
        return [line.split(",", 1)[1] for line in run.stdout.splitlines()]

    assert {"compare", "demo", "denoise", "evaluate", "export", "live", "train", "verify"} <= set(complete("dae "))
    assert complete("dae compare --js") == ["--json"]
