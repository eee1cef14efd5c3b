"""What webhooks register from ``SystemConfig.ready``: the listener on the audit writer's
signal, the delivery task (imported so every worker knows it) and the set-up page link."""

from __future__ import annotations


def install() -> None:
    from kehu.core.events import records_changed

    from . import delivery, object_type  # noqa: F401  (the task; the registry declaration)
    from .dispatch import on_records_changed

    records_changed.connect(on_records_changed, dispatch_uid="kehu.system.webhooks")
