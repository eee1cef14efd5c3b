"""Object types of system set-up, one module per area."""

from . import customfields, org, params, products, roles  # noqa: F401
