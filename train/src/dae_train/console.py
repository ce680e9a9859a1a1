"""Console helpers for the TensorFlow-side commands (train, evaluate, export, demo): quiet TensorFlow, user errors.

quiet_tensorflow keeps TensorFlow's start-up chatter off the terminal, so a command's own output
and errors are its only lines.

TF_CPP_MIN_LOG_LEVEL=3 hides TensorFlow's C++ log, but not what its libraries write before logging
is set up (measured 2026-11-26, TensorFlow 2.21 on a machine without a GPU: absl's "All log messages
before absl::InitializeLog() ..." and "cudart_stub.cc: Could not find cuda drivers", twice each,
during `import tensorflow`). Those go straight to file descriptor 2, so the import itself runs with
descriptor 2 pointed at /dev/null. The hook waits for TensorFlow's first import: commands that fail
before needing it stay fast. A Python error during the import is still raised, and shown, after.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import click

_QUIET_MODULES = ("tensorflow",)


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            self.loader.exec_module(module)
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)

    def __getattr__(self, name):  # get_resource_reader, is_package, ... as the real loader has them
        return getattr(self.loader, name)


class _QuietFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name not in _QUIET_MODULES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def quiet_tensorflow() -> None:
    """Silence TensorFlow's import and C++ log, and print warnings as one line each.

    Idempotent; call before TensorFlow loads."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" not in sys.modules and not any(isinstance(f, _QuietFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietFinder())
    warnings.formatwarning = lambda message, *args, **kwargs: f"Warning: {message}\n"


@contextmanager
def user_errors() -> Iterator[None]:
    """Expected failures become one clear line and exit code 1, never a traceback."""
    from dae_train.data import DataError
    from dae_train.run_state import TrainError

    try:
        yield
    except (DataError, TrainError, ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)) from None
