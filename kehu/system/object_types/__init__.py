"""Object types of system set-up, one module per area."""

from . import org, params, products, roles  # noqa: F401
