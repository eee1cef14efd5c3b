"""Approvals (审批): a request on any record, decided by approvers from the department tree or a
role, with the record locked while it is pending. Other apps call::

    from kehu.system.approvals import (ApprovalKind, register_approval_kind, request_approval,
                                       pending_approval, ensure_not_locked, approve, reject,
                                       withdraw)

(see ``docs/guide/approvals.md``). The names that need the models are loaded on first use, so
this package can be imported while the models are being defined."""

from __future__ import annotations

from .kinds import ApprovalKind, approval_kinds, get_kind, register_approval_kind

__all__ = [
    "ApprovalKind",
    "ApprovalError",
    "approval_kinds",
    "approve",
    "ensure_not_locked",
    "get_kind",
    "pending_approval",
    "register_approval_kind",
    "reject",
    "request_approval",
    "resolve_approvers",
    "withdraw",
]

_LAZY = {
    "ApprovalError",
    "approve",
    "ensure_not_locked",
    "pending_approval",
    "reject",
    "request_approval",
    "resolve_approvers",
    "withdraw",
}


def __getattr__(name: str):
    if name in _LAZY:
        from . import actions

        return getattr(actions, name)
    raise AttributeError(name)
