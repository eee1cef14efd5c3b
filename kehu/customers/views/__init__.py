"""Customers views, one module per area."""

from .customer import *  # noqa: F403
from .recordops import *  # noqa: F403, E402
