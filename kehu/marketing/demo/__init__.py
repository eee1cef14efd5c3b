"""Demo data of the marketing module: one module per area, each with its ``@generator``."""

from kehu.core.discover import import_submodules

import_submodules(__name__)
