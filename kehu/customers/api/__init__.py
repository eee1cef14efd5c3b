"""Customers API, one module per area; each defines ``register(router)``."""

from . import customer, matching
from .customer import ContactSerializer, CustomerSerializer  # noqa: F401


def register(router) -> None:
    """Every viewset of the customers module; called by kehu/api_urls.py."""
    for module in (customer, matching):
        module.register(router)
