"""Customers views, one module per area."""

from .customer import *  # noqa: F403
