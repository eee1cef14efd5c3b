"""Object types of the customers module, one module per area."""

from . import matching  # noqa: F401, E402
from .customer import CONTACT, CUSTOMER  # noqa: F401
