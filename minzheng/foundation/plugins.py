"""Registries that engines keep and business lines fill at import time.

An engine knows no business line by name: a line declares its guards, detectors, bank-file formats,
hold checks … into the engine's :class:`Registry` when its modules are imported. With fifteen lines
plugging into the same engines, two lines (or a line and a test) choosing the same name must fail at
start-up, not silently replace each other's rule: a registry refuses a second, different entry under a
name already taken. Registering the very same entry again (an import repeated under the same name)
is harmless and allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ImproperlyConfigured


def _describe(value: Any) -> str:
    target = value if callable(value) and hasattr(value, "__qualname__") else type(value)
    return f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', repr(target))}"


class DuplicateRegistration(ImproperlyConfigured):
    pass


class Registry(dict):
    """A ``name → entry`` table that refuses duplicates.

    ``what`` names the kind of entry in the error (in Chinese, e.g. ``"办件守卫"``). Assigning an entry
    under a taken name raises :class:`DuplicateRegistration` unless it is the same entry (``is`` or
    ``==``). Tests that need a temporary entry use :meth:`temporarily`.
    """

    def __init__(self, what: str, items: Iterable[tuple[str, Any]] = ()):
        super().__init__()
        self.what = what
        for key, value in items:
            self[key] = value

    def __setitem__(self, key: str, value: Any) -> None:
        if key in self:
            old = dict.__getitem__(self, key)
            if old is value or old == value:
                return  # the same declaration again: the first one stays
            raise DuplicateRegistration(
                f"{self.what}「{key}」已由 {_describe(old)} 注册，不能再由 {_describe(value)} 注册"
                "（名称在全平台唯一：换一个名称，或删去重复的声明）"
            )
        super().__setitem__(key, value)

    def update(self, *args, **kwargs) -> None:  # type: ignore[override]
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        if key not in self:
            self[key] = default
        return dict.__getitem__(self, key)

    @contextmanager
    def temporarily(self, key: str, value: Any) -> Iterator[Any]:
        """For tests: ``key`` maps to ``value`` inside the ``with`` block, and is restored after."""
        had, old = key in self, dict.get(self, key)
        dict.__setitem__(self, key, value)
        try:
            yield value
        finally:
            if had:
                dict.__setitem__(self, key, old)
            else:
                dict.pop(self, key, None)
