"""Factories of system set-up object types, one module per area."""

from . import (  # noqa: F401
    factories_approvals,
    factories_customfields,
    factories_org,
    factories_params,
    factories_products,
    factories_roles,
    factories_webhooks,
)
