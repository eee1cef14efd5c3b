"""Reusable per-model test support (NetBox-style): every registered object type needs a factory,
and the generic test cases and the data-permission matrix run over all of them automatically."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from django.apps import apps

FACTORIES: dict[str, Callable[..., Any]] = {}


def factory(label: str):
    """Register ``fn(owner, n=1) -> saved instance`` for the object type ``label``."""

    def decorator(fn):
        FACTORIES[label] = fn
        return fn

    return decorator


def load_factories() -> dict[str, Callable[..., Any]]:
    for config in apps.get_app_configs():
        if config.name.startswith("kehu."):
            try:
                importlib.import_module(f"{config.name}.tests.factories")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.tests.factories":
                    raise
    return FACTORIES
