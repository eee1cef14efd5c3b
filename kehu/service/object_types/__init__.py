"""Object types of the service module, one module per area, all imported (no central list)."""

from kehu.core.discover import import_submodules

import_submodules(__name__)
