"""Customers actions, one module per area; import from here (``kehu.customers.actions``)."""

from .activity import *  # noqa: F403
from .care import *  # noqa: F403
from .customer import *  # noqa: F403
from .handover import *  # noqa: F403
from .lifecycle import *  # noqa: F403
from .recordops import *  # noqa: F403, E402
