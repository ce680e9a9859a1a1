"""Installed package versions, for reports and manifests (read from metadata, nothing imported)."""

from __future__ import annotations

import platform


def package_versions(*names: str) -> dict[str, str | None]:
    """{"python": ..., name: version or None when the package is not installed}."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out
