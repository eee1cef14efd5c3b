"""Object types of the customers module, one module per area."""

from .customer import CONTACT, CUSTOMER  # noqa: F401
