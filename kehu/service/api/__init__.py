"""Service API, one module per area; each defines ``register(router)``."""

from kehu.core.discover import import_submodules


def register(router) -> None:
    """Every viewset of the service module; called by kehu/api_urls.py through the registry."""
    for module in import_submodules(__name__):
        module.register(router)
