"""System set-up API, one module per area; each defines ``register(router)``."""

from ..approvals import api as approvals
from ..webhooks import api as webhooks
from . import customfields, handover, org, params, products, roles, tokens


def register(router) -> None:
    for module in (
        params,
        org,
        roles,
        products,
        customfields,
        handover,
        tokens,
        approvals,
        webhooks,
    ):
        module.register(router)
