"""API of the marketing module: each area's module has a ``register(router)``."""

from kehu.core.discover import import_submodules


def register(router) -> None:
    for module in import_submodules("kehu.marketing.api"):
        module.register(router)
