"""Object types of the sales module, one module per area, all imported (no central list)."""

from kehu.sales.discover import import_submodules

import_submodules(__name__)
