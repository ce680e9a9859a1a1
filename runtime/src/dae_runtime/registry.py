"""One registry for everything that varies: architectures, export steps, engines, camera sources.

One rule for a repeated name: registering the same object again is a no-op (a module imported twice),
a different object under a taken name is refused (RegistryError), so a plug-in never replaces another
in silence. One error for an unknown name (UnknownNameError), naming the choices. Tests that register
a stand-in take it out again with `unregister` (or `registered`, a context manager).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class RegistryError(ValueError):
    """A name registered twice with different objects; a programming error, not a user's."""


class UnknownNameError(LookupError):
    """A name nothing is registered under; the message lists the choices and is for the user as is."""


class Registry(Generic[T]):
    """Names -> objects of one kind, in registration order."""

    def __init__(self, kind: str):
        self.kind = kind  # "architecture", "export step", "engine", "camera source": for messages
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> T:
        if not name or not isinstance(name, str):
            raise RegistryError(f"a {self.kind} needs a name, got {name!r}")
        if name in self._items and self._items[name] is not item and self._items[name] != item:
            raise RegistryError(f"{self.kind} {name!r} is already registered (to {self._items[name]!r})")
        self._items[name] = item
        return item

    def unregister(self, name: str) -> None:
        self._items.pop(name, None)

    @contextmanager
    def registered(self, name: str, item: T) -> Iterator[T]:
        """Register `item` for the block, then take it out again (stand-ins in tests)."""
        self.register(name, item)
        try:
            yield item
        finally:
            self.unregister(name)

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            choices = ", ".join(self._items) or "none"
            raise UnknownNameError(f"unknown {self.kind} {name!r}; choose one of {choices}") from None

    def names(self) -> list[str]:
        return list(self._items)

    def items(self) -> list[tuple[str, T]]:
        return list(self._items.items())

    def values(self) -> list[T]:
        return list(self._items.values())

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._items))
