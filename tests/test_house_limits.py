"""The house limits (issue 13): no source file over 300 lines, no function over 70, in the code and its tests."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOTS = ("runtime/src", "train/src", "export/src", "benchmarks", "tests")
MAX_FILE_LINES = 300
MAX_FUNCTION_LINES = 70


def offenders(root: Path, base: Path = REPO) -> list[str]:
    """'path: N lines' for each long file and 'path:line name: N lines' for each long function under root."""
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(base)
        if (lines := text.count("\n")) > MAX_FILE_LINES:
            found.append(f"{name}: {lines} lines")
        for node in ast.walk(ast.parse(text, str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    return found


@pytest.mark.parametrize("root", ROOTS)
def test_files_and_functions_stay_within_the_house_limits(root):
    assert offenders(REPO / root) == []


def test_the_check_sees_a_long_function_and_a_long_file(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    (tmp_path / "long.py").write_text(f"def long():\n{body}\n" + "\n" * MAX_FILE_LINES)
    (tmp_path / "short.py").write_text("def short():\n    return 1\n")
    file_lines = MAX_FILE_LINES + MAX_FUNCTION_LINES + 1
    assert offenders(tmp_path, base=tmp_path) == [f"long.py: {file_lines} lines", "long.py:1 long: 71 lines"]
