"""Customers models, one module per area; import from here (``kehu.customers.models``)."""

from .activity import *  # noqa: F403
from .care import *  # noqa: F403
from .customer import *  # noqa: F403
from .customer import CONTACT_FIELDS, CUSTOMER_FIELDS, OWNERSHIP_FIELDS, PHONE_ERROR  # noqa: F401
from .lifecycle import *  # noqa: F403
from .matching import DuplicateCandidate, MatchKey, MatchScan  # noqa: F401
from .recordops import *  # noqa: F403, E402
from .team import *  # noqa: F403
