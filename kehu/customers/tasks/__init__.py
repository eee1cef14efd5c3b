"""Background tasks of the customers module, one module per area (tasks take IDs, never objects).

Celery's autodiscovery imports this package; each area module is imported here."""

from . import activity, lifecycle, matching, team  # noqa: F401
