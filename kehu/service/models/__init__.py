"""Service models, one module per area. Every module of this package is imported here, so an
area adds its models by adding a module with an ``__all__`` (no central list to edit)."""

from kehu.core.discover import import_submodules

import_submodules(__name__, globals())
