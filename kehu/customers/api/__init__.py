"""Customers API, one module per area; each defines ``register(router)``."""

from . import customer, lifecycle
from .customer import ContactSerializer, CustomerSerializer  # noqa: F401


def register(router) -> None:
    """Every viewset of the customers module; called by kehu/api_urls.py."""
    for module in (customer, lifecycle):
        module.register(router)
