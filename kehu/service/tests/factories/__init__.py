"""Factories of the service records for the generic test cases and the permission matrix, one
module per area."""

from kehu.core.discover import import_submodules

import_submodules(__name__)
