"""Customers views, one module per area."""

from .care import *  # noqa: F403
from .customer import *  # noqa: F403
from .lifecycle import *  # noqa: F403
