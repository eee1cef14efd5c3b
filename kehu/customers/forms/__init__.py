"""Customers forms, one module per area."""

from .activity import *  # noqa: F403
from .customer import *  # noqa: F403
