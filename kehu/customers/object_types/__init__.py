"""Object types of the customers module, one module per area (customers first: menus and the
role editor list them in registration order)."""

from .customer import CONTACT, CUSTOMER  # noqa: F401, I001
from .activity import ACTIVITY  # noqa: F401
from . import matching  # noqa: F401, E402
