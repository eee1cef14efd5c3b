"""``records_changed``: the framework signal of the one audit writer.

Every audited create, update and delete — single saves, bulk operations, imports, the recycle
bin — ends in ``AuditLog.bulk_record`` / ``AuditLog.record`` or the fast import path of
:mod:`kehu.core.audit`; each sends this signal with the rows it just recorded. A layer above
(webhooks, workflow rules) listens to it to react to any object type without per-model code and
without core importing it.

Receivers get ``entries`` (a list of ``(record, changes)``, the audit diff of each) and
``action`` (an ``AuditLog.Action`` value). They run inside the writer's transaction: anything
that must only happen if it commits belongs in ``transaction.on_commit``. When nobody listens,
sending costs one attribute check.
"""

from __future__ import annotations

from django.dispatch import Signal

records_changed = Signal()


def send_records_changed(entries, action: str) -> None:
    if records_changed.receivers and entries:
        records_changed.send(sender=None, entries=entries, action=action)
