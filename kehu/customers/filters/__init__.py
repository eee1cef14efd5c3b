"""Customers FilterSets (shared by list pages and the API), one module per area."""

from .customer import *  # noqa: F403
