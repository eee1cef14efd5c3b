"""Object types of the customers module, one module per area."""

from .activity import ACTIVITY  # noqa: F401
from .customer import CONTACT, CUSTOMER  # noqa: F401
