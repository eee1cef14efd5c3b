"""Demo data of the service module: one module per area, each with its ``@generator`` functions
(kehu.core.demo), ordered by the numbers they declare."""

from kehu.core.discover import import_submodules

import_submodules(__name__)
