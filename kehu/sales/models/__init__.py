"""Sales models, one module per area. Every module of this package is imported here, so an area
adds its models by adding a module with an ``__all__`` (no central list to edit)."""

from kehu.core.discover import import_submodules

from .pipeline import Opportunity, Pipeline, Stage  # noqa: F401
from .quotes import Quote, QuoteLine  # noqa: F401

import_submodules(__name__, globals())
