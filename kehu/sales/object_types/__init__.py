"""Object types of the sales module, one module per area, all imported (no central list)."""

from kehu.core.discover import import_submodules

import_submodules(__name__)
