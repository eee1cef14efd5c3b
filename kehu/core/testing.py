"""Reusable per-model test support (NetBox-style): every registered object type needs a factory,
and the generic test cases and the data-permission matrix run over all of them automatically."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FACTORIES: dict[str, Callable[..., Any]] = {}


def factory(label: str):
    """Register ``fn(owner, n=1) -> saved instance`` for the object type ``label``."""

    def decorator(fn):
        FACTORIES[label] = fn
        return fn

    return decorator


def load_factories() -> dict[str, Callable[..., Any]]:
    from .registry import import_app_modules

    import_app_modules("tests.factories")
    return FACTORIES
