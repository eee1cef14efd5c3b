"""Customers FilterSets (shared by list pages and the API), one module per area."""

from .activity import *  # noqa: F403
from .customer import *  # noqa: F403
