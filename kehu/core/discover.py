"""Import every module of a package and re-export its models (areas of an app add files,
not lines in a shared list, so that parallel work on an app does not collide; the sales and service apps use it)."""

from __future__ import annotations

import importlib
import pkgutil


def import_submodules(package: str, namespace: dict | None = None) -> list:
    """Import ``package``'s modules (not starting with ``_``); copy names in their ``__all__``
    into ``namespace`` (a package's ``globals()``) when given."""
    modules = []
    path = importlib.import_module(package).__path__
    for info in sorted(pkgutil.iter_modules(path), key=lambda i: i.name):
        if info.name.startswith("_") or info.name == "tests":
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        modules.append(module)
        if namespace is not None:
            for name in getattr(module, "__all__", ()):
                namespace[name] = getattr(module, name)
    return modules
