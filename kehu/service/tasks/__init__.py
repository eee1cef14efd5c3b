"""Background tasks of the service module, one module per area (imported for Celery's
discovery)."""

from kehu.core.discover import import_submodules

import_submodules(__name__)
