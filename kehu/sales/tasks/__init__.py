"""Background tasks of the sales module, one module per area (tasks take IDs, never objects).

Celery's autodiscovery imports this package; it imports every area module."""

from kehu.sales.discover import import_submodules

import_submodules(__name__)
