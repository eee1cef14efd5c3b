"""System set-up actions, one module per area; import from here (``kehu.system.actions``)."""

from .auth import *  # noqa: F403
from .customfields import *  # noqa: F403
from .org import *  # noqa: F403
from .params import *  # noqa: F403
from .products import *  # noqa: F403
from .roles import *  # noqa: F403
