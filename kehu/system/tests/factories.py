"""Factories of system set-up object types, one module per area."""

from . import factories_org, factories_params, factories_products, factories_roles  # noqa: F401
