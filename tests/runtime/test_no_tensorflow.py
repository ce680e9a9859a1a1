"""The runtime's promise, read from its source: no module imports TensorFlow, Keras or a TFLite
interpreter, not even inside a function (those engines come from dae-edge-export)."""

import ast
from pathlib import Path

import dae_runtime

FORBIDDEN = ("tensorflow", "keras", "tf_keras", "ai_edge_litert", "tflite_runtime")


def _imported_modules(source: str) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            names += [a.value for a in node.args[:1] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return names


def test_no_runtime_module_imports_tensorflow_keras_or_tflite():
    files = sorted(Path(dae_runtime.__file__).parent.rglob("*.py"))
    assert len(files) > 20
    found = [
        f"{path.name}: {name}"
        for path in files
        for name in _imported_modules(path.read_text())
        if name.split(".")[0] in FORBIDDEN
    ]
    assert found == []


def test_the_scan_sees_a_lazy_import():
    assert _imported_modules("def f():\n    from tensorflow.lite.python.interpreter import Interpreter\n") == [
        "tensorflow.lite.python.interpreter"
    ]
