"""The guard of the audit writer: ``QuerySet.update()``/``bulk_update()`` on an audited model
(a ``BaseModel``) refuse to run outside :func:`audited_write` / :func:`unaudited_write`.

A module of its own, below the search columns and the writer (:mod:`kehu.core.audit`, which
offers these names too): the search index writes its derived columns through
:func:`unaudited_write` and the writer refreshes the index after a bulk write, so neither has to
import the other for it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import models

from .models import BaseModel

#: Why the current code may run ``update()``/``bulk_update()`` on audited models (None: it may not).
_WRITING: contextvars.ContextVar[str | None] = contextvars.ContextVar("kehu_audit", default=None)


class UnauditedWriteError(RuntimeError):
    """``QuerySet.update()``/``bulk_update()`` on an audited model outside the writer."""


# --- The guard ----------------------------------------------------------------------------------


@contextmanager
def audited_write(reason: str = "audited") -> Iterator[None]:
    """Let ``update()``/``bulk_update()`` run: the writer's own operations, and actions that
    record their change themselves (an erasure, a role's permission document) and bump the
    version."""
    token = _WRITING.set(reason)
    try:
        yield
    finally:
        _WRITING.reset(token)


@contextmanager
def unaudited_write(reason: str) -> Iterator[None]:
    """The escape hatch for derived data that is deliberately not audited and does not bump the
    version (search columns, login bookkeeping, "reminder sent" flags). Say why: the reason is
    what a reader (and a failing test) sees."""
    if not reason:
        raise ValueError("unaudited_write needs a reason")
    with audited_write(f"unaudited: {reason}"):
        yield


def is_audited(model) -> bool:
    return isinstance(model, type) and issubclass(model, BaseModel)


def check_write(model, operation: str) -> None:
    if _WRITING.get() is None and is_audited(model):
        raise UnauditedWriteError(
            f"{model._meta.label}: QuerySet.{operation}() bypasses the audit trail and the "
            "version. Use kehu.core.audit.audited_bulk_update / audited_bulk_save (or the "
            "wrappers in kehu.core.actions), or wrap derived, deliberately unaudited data in "
            "kehu.core.audit.unaudited_write(reason)."
        )


def install() -> None:
    """Put the check on Django's ``QuerySet.update`` and ``bulk_update`` (once)."""
    qs = models.QuerySet
    if getattr(qs.update, "_kehu_guarded", False):
        return
    update, bulk_update = qs.update, qs.bulk_update

    def guarded_update(self, **kwargs):
        check_write(self.model, "update")
        return update(self, **kwargs)

    def guarded_bulk_update(self, objs, fields, batch_size=None):
        check_write(self.model, "bulk_update")
        return bulk_update(self, objs, fields, batch_size=batch_size)

    for fn, original in ((guarded_update, update), (guarded_bulk_update, bulk_update)):
        fn.__doc__, fn.__wrapped__, fn._kehu_guarded = original.__doc__, original, True
    guarded_update.alters_data = guarded_bulk_update.alters_data = True
    qs.update, qs.bulk_update = guarded_update, guarded_bulk_update
