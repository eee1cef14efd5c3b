"""Customers API, one module per area; each defines ``register(router)``."""

from . import activity, customer, lifecycle, matching, recordops
from .activity import ActivitySerializer  # noqa: F401
from .customer import ContactSerializer, CustomerSerializer  # noqa: F401


def register(router) -> None:
    """Every viewset of the customers module; called by kehu/api_urls.py."""
    for module in (customer, activity, recordops, matching, lifecycle):
        module.register(router)
