"""Kinds of approval (审批): what a request is about, who approves it, what happens after.

An app registers its kinds from its ``AppConfig.ready`` (a quote below the floor price, an order
over the credit limit, a service credit, a campaign budget)::

    register_approval_kind(ApprovalKind(code="sales.price_below_floor",
                                        label=_("Price below floor"),
                                        on_approved=release_quote))

The kinds live in the registry's store ``approval_kinds`` (``kehu.core.registry``), keyed by code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kehu.core.registry import registry

STORE = "approval_kinds"


@dataclass(frozen=True)
class ApprovalKind:
    """One kind of approval request.

    ``approver_role``: the code (name) of a role whose holders decide, the nearest ones up the
    requester's department tree first; ``None``: the requester's manager, else the department
    heads (members holding a manager role) up the tree. Nobody found: the administrators.
    ``steps``: how many approvers in a row must approve (each next step is resolved from the
    previous approver the same way, skipping everyone who already acted).
    ``on_approved`` / ``on_rejected``: ``callable(request, user)`` run in the decision's
    transaction once the request is finally approved or rejected (the record is no longer
    locked then: the callback may change it through its actions).
    ``data_labels``: labels of the keys of ``request.data`` shown on the approvals page.
    """

    code: str
    label: Any
    approver_role: str | None = None
    on_approved: Callable[[Any, Any], None] | None = None
    on_rejected: Callable[[Any, Any], None] | None = None
    steps: int = 1
    data_labels: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.code or self.steps < 1:
            raise ValueError("an approval kind needs a code and at least one step")


def register_approval_kind(kind: ApprovalKind) -> ApprovalKind:
    """Register (or replace: ``ready`` may run again in tests) a kind of approval."""
    return registry.store(STORE).add(kind.code, kind)


def approval_kinds() -> dict[str, ApprovalKind]:
    return dict(registry.store(STORE))


def get_kind(code: str) -> ApprovalKind:
    """The registered kind; an unknown code is refused with a message (never a 500)."""
    kind = registry.store(STORE).get(code)
    if kind is None:
        raise ValidationError(
            _("“%(kind)s” is not a known kind of approval.") % {"kind": code},
            code="unknown_kind",
        )
    return kind


def kind_label(code: str) -> str:
    """The kind's label, or its code if it is no longer registered (old requests)."""
    kind = registry.store(STORE).get(code)
    return str(kind.label) if kind else code
