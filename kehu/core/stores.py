"""The registry's stores and the object-type lookups, without the object-type classes.

Why a module of its own: ``ObjectType`` (in :mod:`kehu.core.registry`) fills in its default
write actions from :mod:`kehu.core.saving`, which writes through the audit writer and the
models; the models (a saved view's URL) only need to look a type up. Kept here, below the
models, the lookup needs none of that. :mod:`kehu.core.registry` offers every name here too.
Imports nothing of Django's at import time: ``kehu/settings.py`` reads two stores.
"""

from __future__ import annotations

from typing import Any

#: An ``ObjectType`` (not imported: that class lives above, in ``core.registry``).
ObjectTypeT = Any


class Store(dict):
    """One keyed store of the registry. ``add`` is the one registration style; registering a
    key again replaces it (``ready`` may run again in tests)."""

    def add(self, key, value):
        self[key] = value
        return value


class Registry(Store):
    """The object types by label, and every other store by name (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.modules = Store()
        self.pages = Store()
        self.urls = Store()
        self.api_routes = Store()
        self.beat_tasks = Store()
        self.enum_names = Store()
        self.dashboard_cards = Store()
        self.hooks: dict[str, Store] = {}
        self._stores: dict[str, Store] = {}

    @property
    def object_types(self) -> Registry:
        return self

    def store(self, name: str) -> Store:
        """A named store, created on first use: how an app keeps a registry of its own
        (``registry.store("timeline_sources")``) without the framework naming it."""
        return self._stores.setdefault(name, Store())

    def hook(self, name: str) -> Store:
        """The hooks of one kind (``"handover"``, ``"erasure"``), keyed by model label."""
        return self.hooks.setdefault(name, Store())


registry = Registry()


def find_object_type(model_or_label) -> ObjectTypeT | None:
    label = model_or_label if isinstance(model_or_label, str) else model_or_label._meta.label_lower
    return registry.get(label)


def get_object_type(model_or_label) -> ObjectTypeT:
    label = model_or_label if isinstance(model_or_label, str) else model_or_label._meta.label_lower
    return registry[label]
