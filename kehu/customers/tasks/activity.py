"""Periodic activity reminders: every minute, inbox reminders for activities whose reminder time
has come (exactly once) and for commitments past their due date (once per due date); every
morning, reminders of the commitments due that day."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kehu.customers.activity_reminders", ignore_result=True)
def activity_reminders() -> dict[str, int]:
    from ..actions import notify_overdue_commitments, send_activity_reminders

    return {
        "reminders": send_activity_reminders(),
        "commitments": notify_overdue_commitments(),
    }


@shared_task(name="kehu.customers.commitments_due_today", ignore_result=True)
def commitments_due_today() -> int:
    """Morning inbox reminders of the promises due today."""
    from ..actions import notify_commitments_due_today

    return notify_commitments_due_today()
